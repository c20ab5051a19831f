package plan

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadStackConfig(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"Pulumi.yaml": "name: hydrant\nruntime: go\n",
		"Pulumi.dev.yaml": `config:
  aws:region: eu-west-1
  hydrant:router:
    archiveRetentionDays: 30
    subscriberAccounts: ["111122223333"]
  plain: value
  hydrant:count: 3
  hydrant:enabled: true
  hydrant:apiKey:
    secure: AAABAJZ3
  hydrant:teams:
    - name: billing
      token:
        secure: AAAB
`,
	})
	cfg, err := LoadStackConfig(dir, "dev")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"aws:region":      "eu-west-1",
		"hydrant:router":  `{"archiveRetentionDays":30,"subscriberAccounts":["111122223333"]}`,
		"hydrant:plain":   "value",
		"hydrant:count":   "3",
		"hydrant:enabled": "true",
		"hydrant:apiKey":  Secret,
		"hydrant:teams":   `[{"name":"billing","token":"[secret]"}]`,
	}
	if !reflect.DeepEqual(cfg.Values, want) {
		t.Errorf("values = %v\nwant %v", cfg.Values, want)
	}
	if !reflect.DeepEqual(cfg.SecretKeys, []string{"hydrant:apiKey", "hydrant:teams"}) {
		t.Errorf("secret keys = %v", cfg.SecretKeys)
	}
	if cfg.Project != "hydrant" || cfg.Stack != "dev" {
		t.Errorf("project/stack = %s/%s", cfg.Project, cfg.Stack)
	}
}

func TestLoadStackConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		stack string
		want  string
	}{
		{"missing stack", map[string]string{"Pulumi.yaml": "name: hydrant\n"}, "prod", `stack "prod"`},
		{"missing project", map[string]string{}, "dev", "read project"},
		{"unnamed project", map[string]string{"Pulumi.yaml": "runtime: go\n", "Pulumi.dev.yaml": "config: {}\n"}, "dev", "no project name"},
		{"bad yaml", map[string]string{"Pulumi.yaml": "name: hydrant\n", "Pulumi.dev.yaml": "config: [\n"}, "dev", "Pulumi.dev.yaml"},
		{"path in stack name", map[string]string{"Pulumi.yaml": "name: hydrant\n"}, "../x", `stack name "../x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadStackConfig(writeFiles(t, tc.files), tc.stack)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}
