package jsonscan

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

var validSeeds = []string{
	`{"a":[1,-0.5e+10,true,false,null,"x\u00e9\"\\\/\b\f\n\r\t"],"b":{}}`, ` [ ] `, `"s"`, `0`, `-0`, `1E5`, `{"k":"` + strings.Repeat("long string without escapes ", 20) + `"}`,
	`{"k":"` + strings.Repeat("x", 40) + `\n` + strings.Repeat("y", 40) + `"}`,
	``, ` `, `{`, `{"a"}`, `{"a":}`, `[1,]`, `[01]`, `[1.]`, `[.5]`, `[1e]`, `[-]`, `"\x01"`, `"\q"`, `"\u12G4"`, `tru`, `nul`, `{"a":1}x`,
	"\"\xff\xfe\"", `"` + strings.Repeat("a", 30) + "\x1f" + `"`, `"` + strings.Repeat("a", 17) + `"`, `"` + strings.Repeat("a", 17),
	strings.Repeat("[", MaxNesting) + strings.Repeat("]", MaxNesting),
	strings.Repeat("[", MaxNesting+1) + strings.Repeat("]", MaxNesting+1),
	strings.Repeat(`{"a":`, MaxNesting) + `1` + strings.Repeat("}", MaxNesting),
	strings.Repeat(`{"a":`, MaxNesting+1) + `1` + strings.Repeat("}", MaxNesting+1),
}

func TestValidIsJSONValid(t *testing.T) {
	for _, s := range validSeeds {
		if got, want := Valid([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("Valid(%.60q) = %v, json.Valid %v", s, got, want)
		}
	}
}

// FuzzValid is the differential test against encoding/json.
func FuzzValid(f *testing.F) {
	for _, s := range validSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := Valid(data), json.Valid(data); got != want {
			t.Fatalf("Valid(%q) = %v, json.Valid %v", data, got, want)
		}
	})
}

// FuzzAppendUnquoted: a string decodes as encoding/json decodes it.
func FuzzAppendUnquoted(f *testing.F) {
	for _, s := range []string{`"a\u00e9\ud800\u0041\udbff\udfff\"\\\/\b\f\n\r\t"`, "\"\xff\xc3\"", `"\ud83d\ude00"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want string
		if json.Unmarshal(data, &want) != nil {
			return
		}
		i := Space(data, 0)
		if data[i] != '"' {
			return // a string decoded into a string: anything else was refused above
		}
		start, end, next, _, ok := String(data, i)
		if !ok || Space(data, next) != len(data) {
			t.Fatalf("String(%q) = %v, %d; json decodes it", data, ok, next)
		}
		if got := string(AppendUnquoted(nil, data[start:end])); got != want {
			t.Fatalf("AppendUnquoted(%q) = %q, json %q", data, got, want)
		}
	})
}

// BenchmarkValid compares Valid with json.Valid on a 1 KiB JSON record and a 10 KiB one.
func BenchmarkValid(b *testing.B) {
	for _, n := range []int{10, 100} {
		var sb strings.Builder
		sb.WriteString(`{"orderId":"o-100234","note":"` + strings.Repeat("text ", 40) + `","items":[`)
		for i := 0; i < n; i++ {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(`{"sku":"SKU-12345","qty":2,"price":12.5,"tags":["a","b"]}`)
		}
		sb.WriteString(`]}`)
		data := []byte(sb.String())
		for _, impl := range []struct {
			name  string
			valid func([]byte) bool
		}{{"jsonscan", Valid}, {"encoding-json", json.Valid}} {
			b.Run(fmt.Sprintf("%s/%dB", impl.name, len(data)), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if !impl.valid(data) {
						b.Fatal("invalid")
					}
				}
			})
		}
	}
}
