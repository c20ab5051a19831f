package eventpattern

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// FuzzCompileMatch feeds arbitrary patterns and events through Compile, ParseEvent and Match:
// nothing may panic, errors must be typed, and matching must be deterministic.
func FuzzCompileMatch(f *testing.F) {
	seeds := [][2]string{
		{`{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, `{"detail":{"state":["a",1,null,true]}}`},
		{`{"a":{"b":["1"],"c":[{"numeric":[">",0,"<=",5]}]}}`, `{"a":[{"b":"1","c":3},{"b":"2","c":[4,{"x":1}]}]}`},
		{`{"$or":[{"ip":[{"cidr":"10.0.0.0/8"}]},{"ip":[{"cidr":"2001:db8::/32"}]}]}`, `{"ip":"2001:db8::1"}`},
		{`{"w":[{"wildcard":"a*\\*b*c"}],"s":[{"suffix":{"equals-ignore-case":"Ö"}}]}`, `{"w":"a*b-c","s":"xö"}`},
		{`{"k":[{"exists":false},null,"",0,{"equals-ignore-case":"x"}]}`, `{"k":[]}`},
		{`{"a.b":[{"anything-but":[1,2]}],"a":{"c":[{"anything-but":{"wildcard":["*x","y*"]}}]}}`, `{"a":{"b":3,"c":"z"}}`},
		{`{"$or":{"x":["1"]}}`, `{"$or":{"x":"1"}}`},
	}
	for _, s := range seeds {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, pattern, event []byte) {
		// The fuzzer has no per-input time limit; a panic from the timer crashes the worker,
		// which makes the fuzzer record a pathologically slow input as a failure.
		timer := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("slow input: pattern %q event %q", pattern, event)) })
		defer timer.Stop()
		p, perr := CompileOptions(pattern, Options{MaxSize: HardMaxSize})
		if perr != nil {
			var pe *Error
			if !errors.As(perr, &pe) {
				t.Fatalf("Compile error %T is not *Error: %v", perr, perr)
			}
		}
		// Matching gets exercised even when only one side is valid: a valid pattern meets
		// the seed events, a valid event meets the seed patterns.
		if perr == nil {
			for _, s := range seeds {
				if e, err := ParseEvent([]byte(s[1])); err == nil {
					p.Match(e)
				}
			}
		}
		ev, eerr := ParseEvent(event)
		if eerr == nil {
			for _, s := range seeds {
				if sp, err := Compile([]byte(s[0])); err == nil {
					sp.Match(ev)
				}
			}
		}
		if eerr != nil {
			var ee *EventError
			if !errors.As(eerr, &ee) {
				t.Fatalf("ParseEvent error %T is not *EventError: %v", eerr, eerr)
			}
		}
		if perr != nil || eerr != nil {
			return
		}
		first := p.Match(ev)
		if second := p.Match(ev); second != first {
			t.Fatalf("Match is not deterministic: %v then %v", first, second)
		}
		if got, err := p.MatchJSON(event); err != nil || got != first {
			t.Fatalf("MatchJSON = %v, %v; Match = %v", got, err, first)
		}
	})
}

// FuzzParseEvent checks the flattening parser against a reference built on encoding/json's
// decoder: same paths, same values, in the same order.
func FuzzParseEvent(f *testing.F) {
	for _, s := range []string{
		benchEvent,
		`{"a":[1,{"b":"\u00e9\"x"},[true,null]],"a.b":-0.5e+10,"c":{}}`,
		"{\"s\":\"\xff\"}",
		`{"k":[],"k2":[[]],"e":"\\*"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := ParseEvent(data)
		root, rerr := decodeJSON(data)
		if rerr != nil || root.kind != jObject {
			if err == nil {
				t.Fatalf("ParseEvent accepted %q, reference decoder: %v", data, rerr)
			}
			return
		}
		if err != nil {
			t.Fatalf("ParseEvent(%q): %v; the reference decoder accepts it", data, err)
		}
		want := map[string][]string{}
		var walk func(n *jnode, path string)
		walk = func(n *jnode, path string) {
			switch n.kind {
			case jObject:
				for i, k := range n.keys {
					walk(n.kids[i], joinPath(path, k))
				}
			case jArray:
				for _, k := range n.kids {
					walk(k, path)
				}
			default:
				want[path] = append(want[path], n.kindName()+":"+n.text())
			}
		}
		walk(root, "")
		if len(want) != len(ev.index) {
			t.Fatalf("%q: %d paths, reference %d", data, len(ev.index), len(want))
		}
		for path, vals := range want {
			got := ev.lookup(path)
			if len(got) != len(vals) {
				t.Fatalf("%q: path %q has %d values, reference %d", data, path, len(got), len(vals))
			}
			for i, v := range got {
				var s string
				switch v.kind {
				case vNull:
					s = "null:null"
				case vBool:
					s = map[bool]string{true: "boolean:true", false: "boolean:false"}[v.b]
				case vNumber:
					s = "number:" + v.s
				case vString:
					s = "string:" + v.s
				}
				if s != vals[i] {
					t.Fatalf("%q: path %q value %d = %q, reference %q", data, path, i, s, vals[i])
				}
			}
		}
	})
}
