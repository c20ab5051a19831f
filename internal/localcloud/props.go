package localcloud

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// props reads a resource's inputs as the engine delivered them: values may be wrapped as
// secrets or known outputs, which the local cloud unwraps (it runs, it does not display).
type props resource.PropertyMap

func unwrap(v resource.PropertyValue) resource.PropertyValue {
	for {
		switch {
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsOutput():
			if !v.OutputValue().Known {
				return resource.NewNullProperty()
			}
			v = v.OutputValue().Element
		default:
			return v
		}
	}
}

func (p props) get(key string) (resource.PropertyValue, bool) {
	v, ok := p[resource.PropertyKey(key)]
	if !ok {
		return resource.PropertyValue{}, false
	}
	v = unwrap(v)
	if v.IsNull() {
		return resource.PropertyValue{}, false
	}
	return v, true
}

// str is the string input key, "" when absent.
func (p props) str(key string) string {
	v, ok := p.get(key)
	if !ok || !v.IsString() {
		return ""
	}
	return v.StringValue()
}

// num is the number input key and whether it is set.
func (p props) num(key string) (int, bool) {
	v, ok := p.get(key)
	if !ok || !v.IsNumber() {
		return 0, false
	}
	return int(v.NumberValue()), true
}

// boolean is the bool input key, false when absent.
func (p props) boolean(key string) bool {
	v, ok := p.get(key)
	return ok && v.IsBool() && v.BoolValue()
}

// obj is the object input key, nil when absent.
func (p props) obj(key string) props {
	v, ok := p.get(key)
	if !ok || !v.IsObject() {
		return nil
	}
	return props(v.ObjectValue())
}

// objs is the array-of-objects input key.
func (p props) objs(key string) []props {
	v, ok := p.get(key)
	if !ok || !v.IsArray() {
		return nil
	}
	var out []props
	for _, e := range v.ArrayValue() {
		if e = unwrap(e); e.IsObject() {
			out = append(out, props(e.ObjectValue()))
		}
	}
	return out
}

// strs is the array-of-strings input key.
func (p props) strs(key string) []string {
	v, ok := p.get(key)
	if !ok || !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if e = unwrap(e); e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

// strMap is the map-of-strings input key.
func (p props) strMap(key string) map[string]string {
	o := p.obj(key)
	if o == nil {
		return nil
	}
	out := make(map[string]string, len(o))
	for k := range o {
		if v, ok := o.get(string(k)); ok && v.IsString() {
			out[string(k)] = v.StringValue()
		}
	}
	return out
}
