package eventpattern_test

import (
	"errors"
	"fmt"

	"github.com/hydrant-dev/hydrant/internal/eventpattern"
)

// A team's subscription: its stream's failed records, matched as EventBridge matches them.
func ExampleCompile() {
	p, err := eventpattern.Compile([]byte(`{
		"source": ["hydrant"],
		"detail-type": ["RecordHydrated"],
		"detail": {"streamArn": [{"prefix": "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"}]}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, stream := range []string{"orders", "payments"} {
		ok, err := p.MatchJSON([]byte(`{"id":"1","account":"123456789012","source":"hydrant","time":"2026-11-28T14:02:13Z",
			"region":"eu-west-1","resources":[],"detail-type":"RecordHydrated",
			"detail":{"streamArn":"arn:aws:kinesis:eu-west-1:123456789012:stream/` + stream + `"}}`))
		fmt.Println(stream, ok, err)
	}
	// Output:
	// orders true <nil>
	// payments false <nil>
}

// A pattern EventBridge would refuse is refused with its reason, as an *Error.
func ExampleCompile_invalid() {
	_, err := eventpattern.Compile([]byte(`{"detail": {"total": [{"numeric": [">", "100"]}]}}`))
	var perr *eventpattern.Error
	fmt.Println(errors.As(err, &perr))
	// Output:
	// true
}

// Why an event does not match: one list of failed fields per alternative of the pattern.
func ExamplePattern_Explain() {
	p, err := eventpattern.Compile([]byte(`{"detail": {"state": ["FAILED"], "attempts": [{"numeric": [">=", 3]}]}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	ev, err := eventpattern.ParseEvent([]byte(`{"detail": {"state": "FAILED", "attempts": 1}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, alternative := range p.Explain(ev) {
		for _, m := range alternative {
			fmt.Println(m.Path)
		}
	}
	// Output:
	// detail.attempts
}

// A Set matches an event against every team's rule in one pass, and names the rules it
// matches in the order they were added.
func ExampleSet() {
	s := eventpattern.NewSet()
	for _, rule := range []struct{ name, pattern string }{
		{"audit", `{"source": ["hydrant"]}`},
		{"billing", `{"detail": {"streamArn": [{"suffix": "/orders"}]}}`},
		{"shipping", `{"detail": {"streamArn": [{"suffix": "/parcels"}]}}`},
	} {
		if err := s.Add(rule.name, []byte(rule.pattern)); err != nil {
			fmt.Println(err)
			return
		}
	}
	names, err := s.MatchJSON([]byte(`{"source": "hydrant", "detail": {"streamArn": "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"}}`))
	fmt.Println(names, err)
	// Output:
	// [audit billing] <nil>
}
