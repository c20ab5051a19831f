package eventpattern

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestMachineComplexityMatchesEventRuler replays the unit cases of event-ruler's
// MachineComplexityEvaluatorTest (github.com/aws/event-ruler, src/test/software/amazon/event/
// ruler/MachineComplexityEvaluatorTest.java at 337e8d9): patterns added to one ByteMachine
// without quotes, and the complexity event-ruler computes. A group of strings in one inner
// slice is one anything-but wildcard pattern (a set).
func TestMachineComplexityMatchesEventRuler(t *testing.T) {
	for _, tc := range []struct {
		want     int
		patterns [][]string
	}{
		{1, [][]string{{"*"}}},
		{3, [][]string{{"*"}, {"ab*c"}}},
		{1, [][]string{{"abc"}}},
		{2, [][]string{{"*ab"}}},
		{3, [][]string{{"*aa"}}},
		{2, [][]string{{"a*b"}}},
		{2, [][]string{{"aa*"}}},
		{2, [][]string{{"a*bc"}}},
		{3, [][]string{{"a*bb"}}},
		{3, [][]string{{"a*bcb"}}},
		{4, [][]string{{"a*bbb"}}},
		{4, [][]string{{"*ab*ad"}}},
		{3, [][]string{{"*ab*d"}}},
		{4, [][]string{{"*aba*"}}},
		{5, [][]string{{"a*b*bb"}}},
		{4, [][]string{{"a*b*cb"}}},
		{3, [][]string{{"a*b*cd"}}},
		{4, [][]string{{"a*b*b"}}},
		{4, [][]string{{"a*bb*"}}},
		{3, [][]string{{"ab*b*"}}},
		{3, [][]string{{"ab*c"}, {"x*xx"}}},
		{4, [][]string{{"*abc"}, {"*abcde"}}},
		{4, [][]string{{"a*bcd"}, {"ab*cd"}}},
		{4, [][]string{{"a*bc"}, {"a*bcde"}}},
		{7, [][]string{{"a*aaa"}, {"aa*aa"}}},
		{4, [][]string{{"a*bc"}, {"abc*d"}}},
		{6, [][]string{{"a*aaa"}, {"aaa*a"}}},
		{5, [][]string{{"a*aax"}, {"aaa*x"}}},
		{4, [][]string{{"a*bc"}, {"abc*"}}},
		{5, [][]string{{"a*aa"}, {"aaa*"}}},
		{3, [][]string{{"abc*"}, {"abcde*"}}},
		{6, [][]string{{"ab*cd"}, {"ab*wx"}, {"ab*yz"}}},
		{7, [][]string{{"*ab*b*b*"}}},
		{17, [][]string{{"*a*a*a*a*a*a*a*a*"}}},
		{2, [][]string{{"ab*c"}, {"ab*c"}}},
		{10, [][]string{{"F*eatureFeature"}, {"Fe*atureFeature"}, {"Fea*tureFeature"}}},
		{11, [][]string{{"a*a*a*a*a*a*"}}},
		{6, [][]string{{"a*aaa", "aa*aa"}}}, // testEvaluateAnythingButWildcardMultiplePatternsViaSet
		{45, [][]string{{"aahed*"}, {"aal*ii"}, {"aargh*"}, {"aarti*"}, {"a*baca"}, {"*abaci"}, {"a*back"}, {"ab*acs"},
			{"abaf*t"}, {"*abaka"}, {"ab*amp"}, {"a*band"}, {"*abase"}, {"abash*"}, {"abas*k"}, {"ab*ate"}, {"aba*ya"},
			{"abbas*"}, {"abbed*"}, {"ab*bes"}, {"abbey*"}, {"*abbot"}, {"ab*cee"}, {"abea*m"}, {"abe*ar"}, {"a*bele"},
			{"a*bers"}, {"abet*s"}, {"*abhor"}, {"abi*de"}, {"a*bies"}, {"*abled"}}}, // testEvaluateQuaminaExploder
	} {
		patterns := map[string][]string{}
		for _, p := range tc.patterns {
			patterns[fmt.Sprint(p)] = p // equal patterns are one, as in a ByteMachine
		}
		// The search stops past MaxComplexity; the exact count is checked up to there.
		got := machineComplexity(patterns, false)
		if want := min(tc.want, MaxComplexity+1); got != want && !(tc.want > MaxComplexity && got > MaxComplexity) {
			t.Errorf("%v: complexity %d, want %d", tc.patterns, got, tc.want)
		}
	}
}

// TestCheckComplexity: patterns EventBridge was recorded accepting or refusing with "Rule is
// too complex - ...". Sources:
//
//	[LS] github.com/localstack/localstack tests/aws/services/events/test_events_patterns.py::
//	     TestEventPattern::test_event_pattern[<template>], event_pattern_templates/<template>.json5,
//	     all recorded against AWS 15-10-2025
//	[V]  github.com/vals-ai/Valkyrie pull request 278 (2026-04-15): a CloudFormation deploy
//	     refused by EventBridge with "Rule is too complex" once a fourth "*:stack/<name>/*"
//	     wildcard joined the list; three were accepted.
//
// The complexity of each (quoted, as EventBridge holds string values) is noted beside it.
func TestCheckComplexity(t *testing.T) {
	stacks := func(names ...string) string {
		var vals []string
		for _, n := range names {
			vals = append(vals, `{"wildcard":"*:stack/`+n+`/*"}`)
		}
		return `{"source":["aws.cloudformation"],"detail-type":["CloudFormation Stack Status Change"],"detail":{"stack-id":[` +
			strings.Join(vals, ",") + `],"status-details":{"status":["CREATE_COMPLETE","UPDATE_COMPLETE"]}}}`
	}
	for _, tc := range []struct {
		name, pattern string
		refused       bool
	}{
		{"[LS] content_wildcard_complex_EXC (11)", `{"EventBusArn":[{"wildcard":"*:*:*:*:*:event-bus/*"}]}`, true},
		{"[LS] content_wildcard_simplified (3)", `{"EventBusArn":[{"wildcard":"arn:aws:events:us-east-1:*:event-bus/*"}]}`, false},
		{"[LS] content_wildcard_repeating (7)", `{"FileName":[{"wildcard":"/Users/*/dir/dir/dir/dir/dir/doc.txt"}]}`, false},
		{"[LS] content_wildcard_nonrepeating (2)", `{"FileName":[{"wildcard":"/Users/*/doc.txt"}]}`, false},
		{"[V] three stack wildcards (9)", stacks("SharedStack", "TrackerStack", "WorkerStack"), false},
		{"[V] four stack wildcards (12)", stacks("SharedStack", "TrackerStack", "WorkerStack", "MonitoringStack"), true},
		// The same measure through $or: alternatives whose first field is the same share its
		// matcher, so their wildcards add up (event-ruler's machine layout).
		{"$or alternatives share a matcher (12)", `{"$or":[{"a":[{"wildcard":"*:stack/A/*"},{"wildcard":"*:stack/B/*"}]},{"a":[{"wildcard":"*:stack/C/*"},{"wildcard":"*:stack/D/*"}]}]}`, true},
		{"$or alternatives after different values do not (6 each)", `{"$or":[{"b":["1"],"c":[{"wildcard":"*:stack/A/*"},{"wildcard":"*:stack/B/*"}]},{"b":["2"],"c":[{"wildcard":"*:stack/C/*"},{"wildcard":"*:stack/D/*"}]}]}`, false},
		{"anything-but wildcard counts (11)", `{"x":[{"anything-but":{"wildcard":"*:*:*:*:*:event-bus/*"}}]}`, true},
		{"no wildcard", `{"source":["a","b"],"detail":{"n":[{"numeric":[">",1]}]}}`, false},
		{"escaped stars are literal", `{"x":[{"wildcard":"\\*:\\*:\\*:\\*:\\*:\\*"}]}`, false},
	} {
		if _, err := Compile([]byte(tc.pattern)); err != nil {
			t.Fatalf("%s: Compile: %v", tc.name, err)
		}
		err := CheckComplexity([]byte(tc.pattern))
		var perr *Error
		switch {
		case tc.refused && (!errors.As(err, &perr) || perr.Reason != TooComplexReason):
			t.Errorf("%s: got %v, want %q", tc.name, err, TooComplexReason)
		case !tc.refused && err != nil:
			t.Errorf("%s: got %v, want accepted", tc.name, err)
		}
	}
}

// TestCheckComplexityIsBounded: a hostile pattern cannot make the check slow; it is refused.
func TestCheckComplexityIsBounded(t *testing.T) {
	var vals []string
	for i := range 40 {
		vals = append(vals, fmt.Sprintf(`{"wildcard":"%c*%c*%c"}`, 'a'+i%26, 'b'+i%25, 'c'+i%24))
	}
	pattern := `{"x":[` + strings.Join(vals, ",") + `]}`
	if err := CheckComplexity([]byte(pattern)); err == nil {
		t.Fatal("40 overlapping wildcards accepted")
	}
}
