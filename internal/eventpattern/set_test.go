package eventpattern

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// setSeedPatterns are patterns that name overlapping paths, arrays of objects, every operator,
// $or, exact numbers in several spellings and dotted keys: the fuzzer mutates events against
// them, and adds patterns of its own.
var setSeedPatterns = []string{
	`{"source":["hydrant"],"detail-type":["RecordHydrated"],"detail":{"streamArn":["arn:aws:kinesis:eu-west-1:123456789012:stream/stream-150"]}}`,
	`{"detail":{"streamArn":[{"prefix":"arn:aws:kinesis:"}],"failure":{"condition":[{"anything-but":["RecordAgeExceeded"]}]}}}`,
	`{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`,
	`{"a":{"b":["1"],"c":[{"numeric":[">",0,"<=",5]}]}}`,
	`{"$or":[{"ip":[{"cidr":"10.0.0.0/8"}]},{"ip":[{"cidr":"2001:db8::/32"}]}]}`,
	`{"w":[{"wildcard":"a*\\*b*c"}],"s":[{"suffix":{"equals-ignore-case":"Ö"}}]}`,
	`{"k":[{"exists":false},null,"",0,{"equals-ignore-case":"x"}]}`,
	`{"a.b":[{"anything-but":[1,2]}],"a":{"c":[{"anything-but":{"wildcard":["*x","y*"]}}]}}`,
	`{"n":[300,true,false,null,-0,123456789012345678901]}`,
	`{"x":{"y":[{"exists":true}]},"z":["é"]}`,
	`{"":["e"],"a":{"":{"b":[1]}}}`,
	`{"$or":{"x":["1"]}}`,
	`{"detail":{"items":{"sku":["SKU-1"],"qty":[2]}}}`,
}

var setSeedEvents = []string{
	benchEvent,
	`{"detail":{"state":["a",1,null,true]}}`,
	`{"a":[{"b":"1","c":3},{"b":"2","c":[4,{"x":1}]}]}`,
	`{"ip":"2001:db8::1"}`,
	`{"w":"a*b-c","s":"xö"}`,
	`{"k":[]}`,
	`{"a":{"b":3,"c":"z"},"a.b":1}`,
	`{"$or":{"x":"1"}}`,
	`{"n":[3e2,"300",0.0,123456789012345678901,1e400]}`,
	`{"x":{"y":null},"z":"\u00e9","q":"\ud800\u0041 \udbff\udfff"}`,
	`{"":{"":"e","x":"\xff"},"a":{"":{"b":1.0}}}`,
	"\u00a0 {\"z\":\"é\"}\t",
	`{"detail":{"items":[{"sku":"SKU-1","qty":1},{"sku":"SKU-2","qty":2}]}}`,
	`{"a":{"b":1}} x`,
	`{"a":[1,2,}`,
	`{"a":"\x01"}`,
	`{"a":01}`,
	`{"a":"\q"}`,
	`[1]`,
	``,
	strings.Repeat(`{"a":`, 257) + `1` + strings.Repeat(`}`, 257),
	strings.Repeat(`{"a":`, 256) + `1` + strings.Repeat(`}`, 256),
}

// checkSetAgrees compares a Set of patterns with each pattern's own MatchJSON on one event.
func checkSetAgrees(t *testing.T, patterns []string, event []byte) {
	t.Helper()
	s := NewSet()
	var want []string
	var wantErr error
	for i, src := range patterns {
		p, err := CompileOptions([]byte(src), Options{MaxSize: HardMaxSize})
		if err != nil {
			continue
		}
		name := fmt.Sprint(i)
		s.AddPattern(name, p)
		ok, err := p.MatchJSON(event)
		wantErr = err
		if ok {
			want = append(want, name)
		}
	}
	if len(s.names) == 0 {
		_, wantErr = ParseEvent(event)
	}
	got, err := s.MatchJSON(event)
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("event %q: Set error %v, patterns' error %v", event, err, wantErr)
	}
	var ee *EventError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("event %q: Set error %T is not *EventError", event, err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("event %q: Set matched %q, patterns one by one %q", event, got, want)
	}
}

func TestSetAgreesOnSeeds(t *testing.T) {
	for _, ev := range setSeedEvents {
		checkSetAgrees(t, setSeedPatterns, []byte(ev))
	}
	for _, p := range setSeedPatterns {
		for _, ev := range setSeedEvents {
			checkSetAgrees(t, []string{p}, []byte(ev))
		}
	}
}

// FuzzSetAgrees is the differential test: a Set of the seed patterns plus two of the fuzzer's
// must report exactly the patterns that match one by one, and the same error for a bad event.
func FuzzSetAgrees(f *testing.F) {
	for i, ev := range setSeedEvents {
		f.Add([]byte(setSeedPatterns[i%len(setSeedPatterns)]), []byte(setSeedPatterns[(i+5)%len(setSeedPatterns)]), []byte(ev))
	}
	f.Fuzz(func(t *testing.T, p1, p2, event []byte) {
		// As in FuzzCompileMatch: a pathologically slow input fails instead of stalling the worker.
		timer := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("slow input: patterns %q %q event %q", p1, p2, event)) })
		defer timer.Stop()
		checkSetAgrees(t, append(slices.Clone(setSeedPatterns), string(p1), string(p2)), event)
	})
}

func TestSetNames(t *testing.T) {
	s := NewSet()
	for _, tc := range []struct{ name, pattern string }{
		{"b", `{"source":["x"]}`},
		{"a", `{"source":[{"prefix":"x"}]}`},
		{"b", `{"detail":{"k":[1]}}`}, // a second pattern under one name
		{"c", `{"source":["y"]}`},
	} {
		if err := s.Add(tc.name, []byte(tc.pattern)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		event string
		want  []string
	}{
		{`{"source":"x","detail":{"k":1.0}}`, []string{"b", "a"}}, // order of first Add, "b" once
		{`{"source":"xy"}`, []string{"a"}},
		{`{"source":"z","detail":{"k":1}}`, []string{"b"}},
		{`{"source":"q"}`, nil},
	} {
		got, err := s.MatchJSON([]byte(tc.event))
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("MatchJSON(%s) = %q, %v; want %q", tc.event, got, err, tc.want)
		}
	}
	var pe *Error
	if err := s.Add("bad", []byte(`{"source":"x"}`)); !errors.As(err, &pe) {
		t.Errorf("Add of an invalid pattern: %v, want *Error", err)
	}
	var zero Set
	zero.AddPattern("z", mustCompile(t, `{"a":[1]}`))
	if got, err := zero.MatchJSON([]byte(`{"a":1}`)); err != nil || !slices.Equal(got, []string{"z"}) {
		t.Errorf("zero Set: %q, %v", got, err)
	}
}

func mustCompile(tb testing.TB, src string) *Pattern {
	tb.Helper()
	p, err := Compile([]byte(src))
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// After warm-up, matching reads the event in place: no allocation, whatever the rules.
func TestSetMatchDoesNotAllocate(t *testing.T) {
	for _, fx := range setFixtures(t) {
		for _, ev := range setEvents {
			dst := make([]string, 0, 4)
			var err error
			allocs := testing.AllocsPerRun(100, func() {
				dst, err = fx.set.AppendMatchJSON(dst[:0], ev.data)
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(dst) != fx.matches {
				t.Errorf("%s/%s: %d matches %q, want %d", fx.name, ev.name, len(dst), dst, fx.matches)
			}
			if allocs != 0 {
				t.Errorf("%s/%s: %.1f allocations per event, want 0", fx.name, ev.name, allocs)
			}
		}
	}
}
