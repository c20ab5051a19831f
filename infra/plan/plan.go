// Package plan runs a Pulumi program offline under Pulumi's mock resource monitor and records
// every resource it registers, with its inputs: an offline preview (`hydrant plan`) and the
// harness of the infrastructure tests. The recorder answers each registration with plausible
// outputs (ARNs, names, URLs in the shape AWS gives them) so programs that derive values from
// outputs run as they would against AWS.
package plan

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Resource is one resource the program registered.
type Resource struct {
	Type   string         `json:"type"`
	Name   string         `json:"name"`
	Parent string         `json:"parent,omitempty"` // the parent's name, for children of components
	Custom bool           `json:"custom"`           // false for component resources
	ID     string         `json:"id,omitempty"`     // the made-up physical ID other resources refer to
	Inputs map[string]any `json:"inputs"`
}

// Plan is every resource, ordered by type then name.
type Plan struct {
	Resources []Resource `json:"resources"`
}

// Placeholders for values a plan cannot show.
const (
	Secret  = "[secret]"
	Unknown = "[unknown]"
)

// Provider creates a custom resource and returns its ID and its state (inputs plus outputs).
// The recorder's default makes the outputs up in AWS's shapes; the local cloud provides one
// that materialises resources on emulators instead.
type Provider interface {
	Create(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error)
}

// Recorder is a pulumi.MockResourceMonitor that records registrations.
type Recorder struct {
	// Provider creates custom resources; nil makes their outputs up (see outputs.go).
	Provider Provider
	// Account and Region appear in the ARNs the recorder makes up.
	Account, Region string
	// StackReferences are the outputs of other stacks, by stack name, for programs that read
	// them with pulumi.NewStackReference.
	StackReferences map[string]map[string]any

	mu        sync.Mutex
	resources []Resource
	raw       map[string]pulumi.MockResourceArgs // by type + "::" + name
}

// NewRecorder returns a recorder for account 123456789012 in us-east-1.
func NewRecorder() *Recorder {
	return &Recorder{Account: "123456789012", Region: "us-east-1", raw: map[string]pulumi.MockResourceArgs{}}
}

var _ pulumi.MockResourceMonitor = (*Recorder)(nil)

// NewResource records the registration and returns its inputs plus made-up outputs.
func (r *Recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	parent := ""
	if args.RegisterRPC != nil && args.RegisterRPC.GetParent() != "" {
		// Top-level resources are children of the stack; only components count as parents.
		if urn := resource.URN(args.RegisterRPC.GetParent()); urn.IsValid() && urn.Type() != "pulumi:pulumi:Stack" {
			parent = urn.Name()
		}
	}
	id, outputs := "", args.Inputs
	switch {
	case args.TypeToken == "pulumi:pulumi:StackReference":
		outs, ok := r.StackReferences[args.ID]
		if !ok {
			return "", nil, fmt.Errorf("plan: stack reference %q: its outputs are not known offline", args.ID)
		}
		id = args.ID
		outputs = resource.PropertyMap{
			"name":    resource.NewStringProperty(args.ID),
			"outputs": resource.NewObjectProperty(resource.NewPropertyMapFromMap(outs)),
		}
	case args.Custom && r.Provider != nil:
		var err error
		if id, outputs, err = r.Provider.Create(args); err != nil {
			return "", nil, fmt.Errorf("create %s %s: %w", args.TypeToken, args.Name, err)
		}
	case args.Custom:
		id, outputs = r.outputs(args)
	}
	rec := Resource{Type: args.TypeToken, Name: args.Name, Parent: parent, Custom: args.Custom, ID: id, Inputs: plainMap(args.Inputs)}
	r.mu.Lock()
	r.resources = append(r.resources, rec)
	r.raw[args.TypeToken+"::"+args.Name] = args
	r.mu.Unlock()
	return id, outputs, nil
}

// Call answers provider functions (invokes); the programs here use none, so it refuses them
// by name rather than returning something made up.
func (r *Recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, fmt.Errorf("plan: function %s is not supported offline", args.Token)
}

// Plan returns the recorded resources in a deterministic order.
func (r *Recorder) Plan() Plan {
	r.mu.Lock()
	out := append([]Resource(nil), r.resources...)
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Name < out[j].Name
	})
	return Plan{Resources: out}
}

// Raw returns the registration of the named resource as the engine received it (typed
// property values: secrets and archives included), for tests.
func (r *Recorder) Raw(typ, name string) (pulumi.MockResourceArgs, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.raw[typ+"::"+name]
	return a, ok
}

// OfType returns the recorded resources of a type, ordered by name.
func (p Plan) OfType(typ string) []Resource {
	var out []Resource
	for _, res := range p.Resources {
		if res.Type == typ {
			out = append(out, res)
		}
	}
	return out
}

// Find returns the resource with the type and name.
func (p Plan) Find(typ, name string) (Resource, bool) {
	for _, res := range p.Resources {
		if res.Type == typ && res.Name == name {
			return res, true
		}
	}
	return Resource{}, false
}

// Run runs program under a new recorder with the stack's configuration (keys "project:key",
// values as the engine passes them: strings, objects as JSON) and returns the recorder.
func Run(project, stack string, config map[string]string, secretKeys []string, program pulumi.RunFunc) (*Recorder, error) {
	rec := NewRecorder()
	return rec, rec.Run(project, stack, config, secretKeys, program)
}

// Run runs program under this recorder.
func (rec *Recorder) Run(project, stack string, config map[string]string, secretKeys []string, program pulumi.RunFunc) error {
	return pulumi.RunErr(program,
		pulumi.WithMocks(project, stack, rec),
		func(ri *pulumi.RunInfo) {
			ri.Config = config
			ri.ConfigSecretKeys = secretKeys
		})
}

// JSON is the plan as indented JSON with sorted keys (encoding/json sorts maps) and no HTML
// escaping, so ARNs and patterns read as written.
func (p Plan) JSON() ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

func plainMap(m resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if v.IsNull() {
			continue
		}
		out[string(k)] = plainValue(v)
	}
	return out
}

func plainValue(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return Secret
	case v.IsComputed(), v.IsOutput() && !v.OutputValue().Known:
		return Unknown
	case v.IsOutput():
		if v.OutputValue().Secret {
			return Secret
		}
		return plainValue(v.OutputValue().Element)
	case v.IsArchive():
		a := v.ArchiveValue()
		switch {
		case a.Path != "":
			return map[string]any{"archive": a.Path}
		case a.URI != "":
			return map[string]any{"archive": a.URI}
		default:
			return map[string]any{"archive": "(assets)"}
		}
	case v.IsAsset():
		a := v.AssetValue()
		if a.Path != "" {
			return map[string]any{"asset": a.Path}
		}
		return map[string]any{"asset": "(inline)"}
	case v.IsResourceReference():
		return v.ResourceReferenceValue().URN.Name()
	case v.IsObject():
		return plainMap(v.ObjectValue())
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plainValue(e)
		}
		return out
	case v.IsNull():
		return nil
	default:
		return v.V
	}
}
