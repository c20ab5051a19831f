package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// StackConfig is a stack's configuration as the engine hands it to a program.
type StackConfig struct {
	Project string
	Stack   string
	// Values by namespaced key ("hydrant:router", "aws:region"); structured values are JSON.
	Values map[string]string
	// SecretKeys are the keys whose values are encrypted in the stack file; offline their value
	// is the Secret placeholder.
	SecretKeys []string
}

// GetConfig reads one value by its namespaced key, as a Pulumi context does (stack.Getter).
func (s *StackConfig) GetConfig(key string) (string, bool) {
	v, ok := s.Values[key]
	return v, ok
}

// LoadStackConfig reads the project name from dir/Pulumi.yaml and the configuration of stack
// from dir/Pulumi.<stack>.yaml, converting it as the Pulumi engine does: scalars to strings,
// objects and lists to JSON, keys without a namespace into the project's.
func LoadStackConfig(dir, stack string) (*StackConfig, error) {
	if stack == "" || strings.ContainsAny(stack, `/\`) {
		return nil, fmt.Errorf("stack name %q: want a plain name such as dev or demo", stack)
	}
	projectFile := filepath.Join(dir, "Pulumi.yaml")
	raw, err := os.ReadFile(projectFile)
	if err != nil {
		return nil, fmt.Errorf("read project: %w", err)
	}
	var project struct {
		Name string `yaml:"name"`
	}
	if err := yaml.Unmarshal(raw, &project); err != nil {
		return nil, fmt.Errorf("parse %s: %w", projectFile, err)
	}
	if project.Name == "" {
		return nil, fmt.Errorf("parse %s: no project name", projectFile)
	}
	stackFile := filepath.Join(dir, "Pulumi."+stack+".yaml")
	raw, err = os.ReadFile(stackFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("stack %q: %s does not exist", stack, stackFile)
	}
	if err != nil {
		return nil, fmt.Errorf("read stack %q: %w", stack, err)
	}
	var doc struct {
		Config map[string]yaml.Node `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("parse %s: %w", stackFile, err)
	}
	cfg := &StackConfig{Project: project.Name, Stack: stack, Values: map[string]string{}}
	for key, node := range doc.Config {
		full := key
		if !strings.Contains(key, ":") {
			full = project.Name + ":" + key
		}
		v, secret, err := decodeNode(&node)
		if err != nil {
			return nil, fmt.Errorf("%s: config key %s: %w", stackFile, key, err)
		}
		var s string
		switch t := v.(type) {
		case string:
			s = t
		case map[string]any, []any:
			b, err := json.Marshal(t)
			if err != nil {
				return nil, fmt.Errorf("%s: config key %s: %w", stackFile, key, err)
			}
			s = string(b)
		case nil:
			s = ""
		default:
			s = fmt.Sprint(t)
		}
		cfg.Values[full] = s
		if secret {
			cfg.SecretKeys = append(cfg.SecretKeys, full)
		}
	}
	sort.Strings(cfg.SecretKeys)
	return cfg, nil
}

// decodeNode turns a YAML node into plain values; {secure: ...} becomes the Secret placeholder
// and reports that the value holds a secret.
func decodeNode(n *yaml.Node) (any, bool, error) {
	switch n.Kind {
	case yaml.AliasNode:
		return decodeNode(n.Alias)
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!int":
			i, err := strconv.ParseInt(n.Value, 0, 64)
			if err != nil {
				return nil, false, err
			}
			return i, false, nil
		case "!!float":
			f, err := strconv.ParseFloat(n.Value, 64)
			if err != nil {
				return nil, false, err
			}
			return f, false, nil
		case "!!bool":
			b, err := strconv.ParseBool(n.Value)
			if err != nil {
				return nil, false, err
			}
			return b, false, nil
		case "!!null":
			return nil, false, nil
		}
		return n.Value, false, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		secret := false
		for _, c := range n.Content {
			v, s, err := decodeNode(c)
			if err != nil {
				return nil, false, err
			}
			out = append(out, v)
			secret = secret || s
		}
		return out, secret, nil
	case yaml.MappingNode:
		if len(n.Content) == 2 && n.Content[0].Value == "secure" {
			return Secret, true, nil
		}
		out := make(map[string]any, len(n.Content)/2)
		secret := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, s, err := decodeNode(n.Content[i+1])
			if err != nil {
				return nil, false, err
			}
			out[n.Content[i].Value] = v
			secret = secret || s
		}
		return out, secret, nil
	}
	return nil, false, fmt.Errorf("unsupported YAML node kind %d", n.Kind)
}
