package eventpattern

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Sources cited below:
//   [E1] https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
//   [E2] https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
//   [E3] https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
//   [E4] https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
//        (operator table), and its older text eb-event-patterns-content-based-filtering.md in
//        github.com/awsdocs/amazon-eventbridge-user-guide at commit 4ddcc77 ([E4-4ddcc77]).
//   [R]  github.com/aws/event-ruler README.md (the library EventBridge runs).
//   [LS] github.com/localstack/localstack tests/aws/services/events/event_pattern_templates/<name>
//        (recorded against AWS: *_NEG = no match, *_EXC = rejected).

type matchCase struct {
	name    string
	pattern string
	event   string
	want    bool
}

func runMatchCases(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile([]byte(tc.pattern))
			if err != nil {
				t.Fatalf("Compile(%s): %v", tc.pattern, err)
			}
			ev, err := ParseEvent([]byte(tc.event))
			if err != nil {
				t.Fatalf("ParseEvent(%s): %v", tc.event, err)
			}
			if got := p.Match(ev); got != tc.want {
				t.Errorf("pattern %s\nevent   %s\nmatch = %v, want %v", tc.pattern, tc.event, got, tc.want)
			}
			// The same case through a Set, alone and among other patterns.
			s := NewSet()
			if err := s.Add("other", []byte(`{"zz-unrelated":["x"]}`)); err != nil {
				t.Fatal(err)
			}
			if err := s.Add("case", []byte(tc.pattern)); err != nil {
				t.Fatalf("Set.Add(%s): %v", tc.pattern, err)
			}
			names, err := s.MatchJSON([]byte(tc.event))
			if err != nil {
				t.Fatalf("Set.MatchJSON(%s): %v", tc.event, err)
			}
			if got := slices.Contains(names, "case"); got != tc.want || len(names) > 1 {
				t.Errorf("pattern %s\nevent   %s\nSet.MatchJSON = %q, want match %v", tc.pattern, tc.event, names, tc.want)
			}
		})
	}
}

func TestMatchDocumentedExamples(t *testing.T) {
	runMatchCases(t, []matchCase{
		// [E1] "source", "detail-type" and detail.state; fields not named are ignored.
		{"E1 basic match", `{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["terminated"]}}`,
			`{"id":"1","source":"aws.ec2","detail-type":"EC2 Instance State-change Notification","detail":{"state":"terminated","instance-id":"i-1"}}`, true},
		{"E1 one field differs", `{"source":["aws.ec2"],"detail":{"state":["terminated"]}}`,
			`{"source":"aws.ec2","detail":{"state":"running"}}`, false},
		{"E1 field missing", `{"source":["aws.ec2"],"detail":{"state":["terminated"]}}`,
			`{"source":"aws.ec2","detail":{}}`, false},
		{"E1 strings are case-sensitive", `{"source":["aws.ec2"]}`, `{"source":"AWS.EC2"}`, false},
		{"E1 field names are case-sensitive", `{"detail":{"State":["x"]}}`, `{"detail":{"state":"x"}}`, false},
		{"E1 nesting must match", `{"detail":{"state":["x"]}}`, `{"state":"x"}`, false},
		{"E1 any listed value", `{"detail":{"state":["pending","running"]}}`, `{"detail":{"state":"running"}}`, true},
		// [E4] table: And.
		{"E4 and both", `{"Location":["New York"],"Day":["Monday"]}`, `{"Location":"New York","Day":"Monday"}`, true},
		{"E4 and one", `{"Location":["New York"],"Day":["Monday"]}`, `{"Location":"New York","Day":"Tuesday"}`, false},
		// [E2] the documented resources example: intersection is non-empty.
		{"E2 array intersection", `{"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f","arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f","arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"]}`,
			`{"resources":["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate","arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}`, true},
		{"E2 array no intersection", `{"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}`,
			`{"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-other"]}`, false},
		// [E5] TestEventPattern: ARNs match exactly, ':' and '/' are not interchangeable.
		{"E5 arn separators differ", `{"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-1"]}`,
			`{"resources":["arn:aws:ec2:us-east-1:123456789012:instance:i-1"]}`, false},
		// [E3] null and empty string.
		{"E3 empty string", `{"detail":{"eventVersion":[""]}}`, `{"detail":{"eventVersion":"","responseElements":null}}`, true},
		{"E3 null", `{"detail":{"responseElements":[null]}}`, `{"detail":{"eventVersion":"","responseElements":null}}`, true},
		{"E3 empty string does not match null", `{"detail":{"responseElements":[""]}}`, `{"detail":{"responseElements":null}}`, false},
		{"E3 null does not match empty string", `{"detail":{"eventVersion":[null]}}`, `{"detail":{"eventVersion":""}}`, false},
		{"E3 null does not match missing", `{"detail":{"responseElements":[null]}}`, `{"detail":{}}`, false},
		{"E3 empty string does not match missing", `{"detail":{"eventVersion":[""]}}`, `{"detail":{}}`, false},
		// [E4] prefix, and [E4-4ddcc77] its time example.
		{"E4 prefix", `{"time":[{"prefix":"2017-10-02"}]}`, `{"time":"2017-10-02T18:43:48Z"}`, true},
		{"E4 prefix no", `{"time":[{"prefix":"2017-10-02"}]}`, `{"time":"2017-10-03T18:43:48Z"}`, false},
		{"E4 prefix us-", `{"Region":[{"prefix":"us-"}]}`, `{"Region":"us-east-1"}`, true},
		{"E4 prefix ignore case", `{"service":[{"prefix":{"equals-ignore-case":"eventb"}}]}`, `{"service":"EventBridge"}`, true},
		{"E4 prefix ignore case no", `{"service":[{"prefix":{"equals-ignore-case":"eventb"}}]}`, `{"service":"Lambda"}`, false},
		{"E4 prefix is case-sensitive", `{"service":[{"prefix":"eventb"}]}`, `{"service":"EventBridge"}`, false},
		{"E4 suffix", `{"FileName":[{"suffix":".png"}]}`, `{"FileName":"image.png"}`, true},
		{"E4 suffix no", `{"FileName":[{"suffix":".png"}]}`, `{"FileName":"image.jpg"}`, false},
		{"E4 suffix ignore case", `{"service":[{"suffix":{"equals-ignore-case":"tBridge"}}]}`, `{"service":"EventBRIDGE"}`, true},
		{"E4 suffix ignore case no", `{"service":[{"suffix":{"equals-ignore-case":"tBridge"}}]}`, `{"service":"EventBus"}`, false},
		{"E4 equals ignore case", `{"Name":[{"equals-ignore-case":"alice"}]}`, `{"Name":"Alice"}`, true},
		{"E4 equals ignore case no", `{"Name":[{"equals-ignore-case":"alice"}]}`, `{"Name":"Alicia"}`, false},
		{"E4 equals ignore case non-ASCII", `{"Name":[{"equals-ignore-case":"ÉLODIE"}]}`, `{"Name":"élodie"}`, true},
		// [E4] anything-but and its forms; [E4-4ddcc77] numbers and lists.
		{"E4 anything-but", `{"detail":{"state":[{"anything-but":"initializing"}]}}`, `{"detail":{"state":"running"}}`, true},
		{"E4 anything-but excluded", `{"detail":{"state":[{"anything-but":"initializing"}]}}`, `{"detail":{"state":"initializing"}}`, false},
		{"E4 anything-but number", `{"detail":{"x-limit":[{"anything-but":123}]}}`, `{"detail":{"x-limit":456}}`, true},
		{"E4 anything-but number excluded", `{"detail":{"x-limit":[{"anything-but":123}]}}`, `{"detail":{"x-limit":123}}`, false},
		{"E4 anything-but string list", `{"detail":{"state":[{"anything-but":["stopped","overloaded"]}]}}`, `{"detail":{"state":"running"}}`, true},
		{"E4 anything-but string list excluded", `{"detail":{"state":[{"anything-but":["stopped","overloaded"]}]}}`, `{"detail":{"state":"overloaded"}}`, false},
		{"E4 anything-but number list", `{"detail":{"x-limit":[{"anything-but":[100,200,300]}]}}`, `{"detail":{"x-limit":150}}`, true},
		{"E4 anything-but number list excluded", `{"detail":{"x-limit":[{"anything-but":[100,200,300]}]}}`, `{"detail":{"x-limit":200}}`, false},
		{"E4 anything-but prefix", `{"Region":[{"anything-but":{"prefix":"us-"}}]}`, `{"Region":"eu-west-1"}`, true},
		{"E4 anything-but prefix excluded", `{"Region":[{"anything-but":{"prefix":"us-"}}]}`, `{"Region":"us-east-1"}`, false},
		{"E4 anything-but suffix", `{"FileName":[{"anything-but":{"suffix":".png"}}]}`, `{"FileName":"a.jpg"}`, true},
		{"E4 anything-but suffix excluded", `{"FileName":[{"anything-but":{"suffix":".png"}}]}`, `{"FileName":"a.png"}`, false},
		{"E4 anything-but ignore case", `{"state":[{"anything-but":{"equals-ignore-case":"initializing"}}]}`, `{"state":"running"}`, true},
		{"E4 anything-but ignore case excluded", `{"state":[{"anything-but":{"equals-ignore-case":"initializing"}}]}`, `{"state":"INITIALIZING"}`, false},
		{"E4 anything-but wildcard", `{"FilePath":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"FilePath":"/usr/bin/go"}`, true},
		{"E4 anything-but wildcard excluded", `{"FilePath":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"FilePath":"/usr/lib/go"}`, false},
		// [R] lists inside the anything-but forms (LocalStack recorded AWS accepting them).
		{"R anything-but prefix list", `{"Region":[{"anything-but":{"prefix":["us-","eu-"]}}]}`, `{"Region":"ap-south-1"}`, true},
		{"R anything-but prefix list excluded", `{"Region":[{"anything-but":{"prefix":["us-","eu-"]}}]}`, `{"Region":"eu-west-1"}`, false},
		{"R anything-but ignore case list excluded", `{"state":[{"anything-but":{"equals-ignore-case":["a","B"]}}]}`, `{"state":"b"}`, false},
		{"R anything-but wildcard list excluded", `{"p":[{"anything-but":{"wildcard":["*.png","*.jpg"]}}]}`, `{"p":"x.jpg"}`, false},
		// [E4-4ddcc77] numeric, including an exponent operand.
		{"E4 numeric range", `{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}]}}`, `{"detail":{"c-count":5}}`, true},
		{"E4 numeric range low edge", `{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}]}}`, `{"detail":{"c-count":0}}`, false},
		{"E4 numeric range high", `{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}]}}`, `{"detail":{"c-count":5.000001}}`, false},
		{"E4 numeric less", `{"detail":{"d-count":[{"numeric":["<",10]}]}}`, `{"detail":{"d-count":-3.5}}`, true},
		{"E4 numeric equals exponent", `{"detail":{"x-limit":[{"numeric":["=",3.018e2]}]}}`, `{"detail":{"x-limit":301.8}}`, true},
		{"E4 numeric ge", `{"n":[{"numeric":[">=",10]}]}`, `{"n":10}`, true},
		{"E4 numeric lt range", `{"n":[{"numeric":[">=",10,"<",20]}]}`, `{"n":20}`, false},
		{"E4 numeric on a string", `{"n":[{"numeric":[">",0]}]}`, `{"n":"5"}`, false},
		// [E4] cidr, IPv4 (the [E4-4ddcc77] example) and IPv6.
		{"E4 cidr v4", `{"detail":{"sourceIPAddress":[{"cidr":"10.0.0.0/24"}]}}`, `{"detail":{"sourceIPAddress":"10.0.0.255"}}`, true},
		{"E4 cidr v4 outside", `{"detail":{"sourceIPAddress":[{"cidr":"10.0.0.0/24"}]}}`, `{"detail":{"sourceIPAddress":"10.0.1.1"}}`, false},
		{"E4 cidr v6", `{"sourceIPAddress":[{"cidr":"2001:db8::/64"}]}`, `{"sourceIPAddress":"2001:db8::2a"}`, true},
		{"E4 cidr v6 outside", `{"sourceIPAddress":[{"cidr":"2001:db8::/64"}]}`, `{"sourceIPAddress":"2001:db9::2a"}`, false},
		{"E4 cidr v6 vs v4 address", `{"sourceIPAddress":[{"cidr":"2001:db8::/64"}]}`, `{"sourceIPAddress":"10.0.0.1"}`, false},
		{"E4 cidr not an address", `{"sourceIPAddress":[{"cidr":"10.0.0.0/24"}]}`, `{"sourceIPAddress":"ten"}`, false},
		{"LS content_ip_address_bad_type_NEG", `{"sourceIPAddress":[{"cidr":"10.0.0.0/24"}]}`, `{"sourceIPAddress":100}`, false},
		// [E4-4ddcc77] exists.
		{"E4 exists false on missing", `{"detail":{"c-count":[{"exists":false}]}}`,
			`{"detail-type":"EC2 Instance State-change Notification","detail":{"state":["initializing","running"]}}`, true},
		{"E4 exists false on a non-leaf", `{"detail":{"c-count":[{"exists":false}]}}`,
			`{"detail":{"state":["initializing","running"],"c-count":{"c1":100}}}`, true},
		{"E4 exists true on a non-leaf", `{"detail":{"c-count":[{"exists":true}]}}`, `{"detail":{"c-count":{"c1":100}}}`, false},
		{"E4 exists true", `{"detail":{"state":[{"exists":true}]}}`, `{"detail":{"state":"running"}}`, true},
		{"E4 exists true on missing", `{"detail":{"state":[{"exists":true}]}}`, `{"detail":{}}`, false},
		{"E4 exists false on present", `{"detail":{"state":[{"exists":false}]}}`, `{"detail":{"state":"x"}}`, false},
		// [E4] wildcard ("*" is zero or more characters; "\*" and "\\" are literals).
		{"E4 wildcard", `{"EventBusArn":[{"wildcard":"arn:aws:events:us-east-1:*:event-bus/*"}]}`,
			`{"EventBusArn":"arn:aws:events:us-east-1:123456789012:event-bus/hydrant"}`, true},
		{"E4 wildcard region differs", `{"EventBusArn":[{"wildcard":"arn:aws:events:us-east-1:*:event-bus/*"}]}`,
			`{"EventBusArn":"arn:aws:events:eu-west-1:123456789012:event-bus/hydrant"}`, false},
		{"E4 wildcard zero characters", `{"k":[{"wildcard":"dir/*.png"}]}`, `{"k":"dir/.png"}`, true},
		{"E4 wildcard spans slashes", `{"k":[{"wildcard":"dir/*.png"}]}`, `{"k":"dir/a/b.png"}`, true},
		{"E4 wildcard needs suffix", `{"k":[{"wildcard":"dir/*.png"}]}`, `{"k":"dir/a.png.bak"}`, false},
		{"E4 wildcard escaped star", `{"k":[{"wildcard":"a\\*b"}]}`, `{"k":"a*b"}`, true},
		{"E4 wildcard escaped star is literal", `{"k":[{"wildcard":"a\\*b"}]}`, `{"k":"axb"}`, false},
		{"E4 wildcard escaped backslash", `{"k":[{"wildcard":"a\\\\*"}]}`, `{"k":"a\\tail"}`, true},
		{"E4 wildcard overlapping segments", `{"k":[{"wildcard":"*ab*ab*"}]}`, `{"k":"xabab"}`, true},
		{"E4 wildcard overlapping segments no", `{"k":[{"wildcard":"*aba*aba"}]}`, `{"k":"ababa"}`, false},
		{"E1 star in an exact value is literal", `{"k":["a*"]}`, `{"k":"abc"}`, false},
		// [E4] $or at the top level and inside detail; [R] siblings of $or are ANDed with it.
		{"E4 or inside detail", `{"detail":{"$or":[{"c-count":[{"numeric":[">",0,"<=",5]}]},{"d-count":[{"numeric":["<",10]}]},{"x-limit":[{"numeric":["=",3.018e2]}]}]}}`,
			`{"detail":{"d-count":3}}`, true},
		{"E4 or inside detail none", `{"detail":{"$or":[{"c-count":[{"numeric":[">",0,"<=",5]}]},{"d-count":[{"numeric":["<",10]}]}]}}`,
			`{"detail":{"c-count":9,"d-count":30}}`, false},
		{"R or with sibling", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization","ReadLatency"]},{"namespace":["AWS/EC2","AWS/ES"]}]}`,
			`{"source":"aws.cloudwatch","namespace":"AWS/ES"}`, true},
		{"R or with sibling failing", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization","ReadLatency"]},{"namespace":["AWS/EC2","AWS/ES"]}]}`,
			`{"source":"aws.ec2","namespace":"AWS/ES"}`, false},
		{"R nested or", `{"$or":[{"a":["1"]},{"$or":[{"b":["2"]},{"c":["3"]}]}]}`, `{"c":"3"}`, true},
		// Booleans [E1].
		{"E1 boolean", `{"detail":{"ok":[true]}}`, `{"detail":{"ok":true}}`, true},
		{"E1 boolean differs", `{"detail":{"ok":[true]}}`, `{"detail":{"ok":false}}`, false},
		{"E1 boolean is not a string", `{"detail":{"ok":["true"]}}`, `{"detail":{"ok":true}}`, false},
	})
}

// The cases where documentation, event-ruler and naive implementations disagree. Each one
// states what EventBridge was observed (or event-ruler is built) to do.
func TestMatchTrickyCases(t *testing.T) {
	runMatchCases(t, []matchCase{
		// More [LS] templates recorded against AWS.
		{"LS list_within_dict", `{"detail":{"automations":{"id":[{"exists":true}]}}}`,
			`{"detail":{"automations":[{"key1":"value1"},{"id":"match-does-exist"},{"key2":"value2"}]}}`, true},
		{"LS nested_json_NEG", `{"detail":{"my-key":["my-value"]}}`, `{"detail":"{\"my-key\": \"my-value\"}"}`, false},
		{"LS content_ignorecase_empty", `{"detail":{"value":[{"equals-ignore-case":""}]}}`, `{"detail":{"value":""}}`, true},
		{"LS arrays_empty_null_NEG", `{"resources":[null]}`, `{"resources":[]}`, false},
		{"LS exists_list_empty_NEG", `{"resources":[{"exists":true}]}`, `{"resources":[],"detail":{"eventVersion":"","responseElements":null}}`, false},
		{"LS or-exists-parent", `{"dynamodb":{"NewImage":{"homemade":{"S":[{"anything-but":["roses"]},{"exists":false}]}}}}`,
			`{"dynamodb":{"NewImage":{"purchased":{"N":"789"}}}}`, true},
		{"LS operator_multiple_list", `{"my_key":[{"exists":true},{"prefix":"IGNORED"},{"suffix":"IGNORED"}]}`, `{"my_key":"my-value"}`, true},
		// Arrays and anything-but: any element may satisfy the matcher ([E2] + [R]).
		{"array anything-but another element", `{"tags":[{"anything-but":"eu"}]}`, `{"tags":["priority","eu"]}`, true},
		{"array anything-but only element", `{"tags":[{"anything-but":"eu"}]}`, `{"tags":["eu"]}`, false},
		{"array anything-but list covers all", `{"tags":[{"anything-but":["eu","priority"]}]}`, `{"tags":["priority","eu"]}`, false},
		{"array anything-but prefix", `{"tags":[{"anything-but":{"prefix":"e"}}]}`, `{"tags":["eu","us"]}`, true},
		{"array prefix any element", `{"tags":[{"prefix":"pri"}]}`, `{"tags":["eu","priority"]}`, true},
		{"array numeric any element", `{"n":[{"numeric":[">",10]}]}`, `{"n":[1,2,30]}`, true},
		{"array cidr any element", `{"ips":[{"cidr":"10.0.0.0/8"}]}`, `{"ips":["192.168.0.1","10.1.2.3"]}`, true},
		{"array wildcard any element", `{"k":[{"wildcard":"*.png"}]}`, `{"k":["a.jpg","b.png"]}`, true},
		{"array equals-ignore-case any element", `{"k":[{"equals-ignore-case":"B"}]}`, `{"k":["a","b"]}`, true},
		{"array exists", `{"k":[{"exists":true}]}`, `{"k":["a"]}`, true},
		{"array of arrays is flattened", `{"k":["x"]}`, `{"k":[["a"],["x"]]}`, true},
		// [LS] *_missing_NEG: anything-but needs the field to be present.
		{"LS anything-but on missing", `{"detail":{"state":[{"anything-but":"initializing"}]}}`, `{"detail":{}}`, false},
		{"LS anything-but list on missing", `{"detail":{"state":[{"anything-but":["a","b"]}]}}`, `{"detail":{}}`, false},
		{"LS anything-but prefix on missing", `{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, `{"detail":{}}`, false},
		{"anything-but on empty array", `{"tags":[{"anything-but":"eu"}]}`, `{"tags":[]}`, false},
		// [LS] content_anything_but_string_null, *_prefix_null, *_int_value, *_wildcard_int:
		// values that are not strings are "anything but" a string operand.
		{"LS anything-but string vs null", `{"detail":{"state":[{"anything-but":"initializing"}]}}`, `{"detail":{"state":null}}`, true},
		{"LS anything-but prefix vs null", `{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, `{"detail":{"state":null}}`, true},
		{"LS anything-but prefix vs number", `{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, `{"detail":{"state":12}}`, true},
		{"LS anything-but wildcard vs number", `{"detail":{"FilePath":[{"anything-but":{"wildcard":"*/dir/*"}}]}}`, `{"detail":{"FilePath":123}}`, true},
		{"anything-but number vs string", `{"n":[{"anything-but":123}]}`, `{"n":"123"}`, true},
		// Numbers against numbers compare numerically (event-ruler compiles a number to a
		// numeric-equality matcher; LocalStack recorded AWS matching [300] with 300.0). The
		// guide's "300, 300.0 and 3.0e2 are not considered equal" is not what EventBridge does.
		{"number equals 300.0", `{"n":[300]}`, `{"n":300.0}`, true},
		{"number equals 3.0e2", `{"n":[300]}`, `{"n":3.0e2}`, true},
		{"pattern 3e2 equals 300", `{"n":[3e2]}`, `{"n":300}`, true},
		{"anything-but number 300 vs 300.0", `{"n":[{"anything-but":[300]}]}`, `{"n":300.0}`, false},
		{"number is not a string", `{"n":[300]}`, `{"n":"300"}`, false},
		{"string is not a number", `{"n":["300"]}`, `{"n":300}`, false},
		{"number differs", `{"n":[300]}`, `{"n":300.5}`, false},
		{"negative zero equals zero", `{"n":[0]}`, `{"n":-0}`, true},
		// Integers beyond 2^53 share doubles with their neighbours; they compare as written.
		{"big integers differ", `{"n":[49656110238473859283742908321480129644451813676538724418]}`, `{"n":49656110238473859283742908321480129644451813676538724419}`, false},
		{"big integers equal", `{"n":[49656110238473859283742908321480129644451813676538724418]}`, `{"n":49656110238473859283742908321480129644451813676538724418}`, true},
		{"2^53+1 is not 2^53", `{"n":[9007199254740993]}`, `{"n":9007199254740992}`, false},
		{"2^53 equals 2^53.0", `{"n":[9007199254740992]}`, `{"n":9007199254740992.0}`, true},
		// String operators never match non-strings ([R]: "work on string-valued fields only").
		{"prefix vs number", `{"n":[{"prefix":"1"}]}`, `{"n":123}`, false},
		{"suffix vs boolean", `{"b":[{"suffix":"e"}]}`, `{"b":true}`, false},
		{"equals-ignore-case vs null", `{"b":[{"equals-ignore-case":"null"}]}`, `{"b":null}`, false},
		{"wildcard star vs number", `{"n":[{"wildcard":"*"}]}`, `{"n":1}`, false},
		{"empty prefix matches any string", `{"s":[{"prefix":""}]}`, `{"s":"x"}`, true},
		{"empty prefix does not match a number", `{"s":[{"prefix":""}]}`, `{"s":1}`, false},
		// exists: a path exists when it reaches a leaf; null is a leaf, an empty array is not.
		{"exists true on null", `{"k":[{"exists":true}]}`, `{"k":null}`, true},
		{"exists false on null", `{"k":[{"exists":false}]}`, `{"k":null}`, false},
		{"exists true on empty array", `{"k":[{"exists":true}]}`, `{"k":[]}`, false},
		{"exists false on empty array", `{"k":[{"exists":false}]}`, `{"k":[]}`, true},
		{"exists false when parent is a string", `{"detail":{"state":[{"exists":false}]}}`, `{"detail":"text"}`, true},
		{"exists false or a value", `{"k":[{"exists":false},"a"]}`, `{"k":"a"}`, true},
		{"exists false or a value, missing", `{"k":[{"exists":false},"a"]}`, `{}`, true},
		{"exists false or a value, other", `{"k":[{"exists":false},"a"]}`, `{"k":"b"}`, false},
		// [R] "JSON Array Matching": the employees examples.
		{"R employees one field", `{"employees":{"firstName":["Anna"]}}`,
			`{"employees":[{"firstName":"John","lastName":"Doe"},{"firstName":"Anna","lastName":"Smith"},{"firstName":"Peter","lastName":"Jones"}]}`, true},
		{"R employees multi-level arrays", `{"employees":{"firstName":["Anna"]}}`,
			`{"employees":[[{"firstName":"John","lastName":"Doe"},{"firstName":"Anna","lastName":"Smith"}],[{"firstName":"Peter","lastName":"Jones"}]]}`, true},
		{"R employees Anna Jones", `{"employees":{"firstName":["Anna"],"lastName":["Jones"]}}`,
			`{"employees":[[{"firstName":"John","lastName":"Doe"},{"firstName":"Anna","lastName":"Smith"}],[{"firstName":"Peter","lastName":"Jones"}]]}`, false},
		{"R employees Anna Smith", `{"employees":{"firstName":["Anna"],"lastName":["Smith"]}}`,
			`{"employees":[[{"firstName":"John","lastName":"Doe"},{"firstName":"Anna","lastName":"Smith"}],[{"firstName":"Peter","lastName":"Jones"}]]}`, true},
		// [R] "Compiled rules and JSON keys with dots": both spellings compile and match alike.
		{"R dotted keys rule", `{"detail":{"state.status":["running"]}}`, `{"detail":{"state":{"status":"running"}}}`, true},
		{"R dotted keys event", `{"detail":{"state":{"status":["running"]}}}`, `{"detail":{"state.status":"running"}}`, true},
		// [R] "the fields must come from the same array element".
		{"R same element", `{"a":{"b":["1"],"c":["2"]}}`, `{"a":[{"b":"1","c":"3"},{"b":"4","c":"2"}]}`, false},
		{"R same element found", `{"a":{"b":["1"],"c":["2"]}}`, `{"a":[{"b":"1","c":"3"},{"b":"1","c":"2"}]}`, true},
		{"R same element outer scalar", `{"x":["y"],"a":{"b":["1"]}}`, `{"x":"y","a":[{"b":"0"},{"b":"1"}]}`, true},
		{"R same element nested arrays", `{"a":{"b":{"c":["1"],"d":["2"]}}}`, `{"a":[{"b":[{"c":"1"},{"d":"2"}]}]}`, false},
		{"R same element nested arrays found", `{"a":{"b":{"c":["1"],"d":["2"]}}}`, `{"a":[{"b":[{"c":"0"},{"c":"1","d":"2"}]}]}`, true},
		// exists:false asks about the whole event, as event-ruler's absence check does: a
		// path present in any element is present.
		{"exists false across array elements", `{"a":{"b":[{"exists":false}],"c":["2"]}}`, `{"a":[{"b":"1","c":"3"},{"c":"2"}]}`, false},
		// Paths are flattened with "." on both sides, so a dotted key names a nested field
		// (LocalStack's engine notes AWS evaluates it this way).
		{"dotted pattern key", `{"detail.state":["x"]}`, `{"detail":{"state":"x"}}`, true},
		{"dotted event key", `{"detail":{"state":["x"]}}`, `{"detail.state":"x"}`, true},
		// A path written twice keeps the last write, in document order (event-ruler's map of
		// sub-rules), including writes inside and outside $or.
		{"repeated key last wins", `{"a":["1"],"a":["2"]}`, `{"a":"2"}`, true},
		{"repeated key first lost", `{"a":["1"],"a":["2"]}`, `{"a":"1"}`, false},
		{"or overrides earlier sibling", `{"a":["1"],"$or":[{"a":["2"]},{"b":["3"]}]}`, `{"a":"2"}`, true},
		{"or overrides earlier sibling lost", `{"a":["1"],"$or":[{"a":["2"]},{"b":["3"]}]}`, `{"a":"1","c":"x"}`, false},
		// "$or" whose value is not $or syntax is an ordinary field name (EventBridge retries
		// with its pre-$or compiler).
		{"or as field name", `{"$or":["a"]}`, `{"$or":"a"}`, true},
		// A field constrained both as a leaf and as an object can never match.
		{"leaf and object on one path", `{"a":["x"],"a.b":["y"]}`, `{"a":{"b":"y"}}`, false},
		// Unicode folding is rune-wise and allocation-free (Kelvin sign K folds to k).
		{"prefix fold multi-byte", `{"s":[{"prefix":{"equals-ignore-case":"k"}}]}`, `{"s":"\u212Aelvin"}`, true},
		{"suffix fold multi-byte", `{"s":[{"suffix":{"equals-ignore-case":"Ö"}}]}`, `{"s":"xö"}`, true},
		{"suffix fold too short", `{"s":[{"suffix":{"equals-ignore-case":"abc"}}]}`, `{"s":"bc"}`, false},
		// Large integers beyond float precision still compare by value where they are exact.
		{"numeric on huge event number", `{"n":[{"numeric":[">",0]}]}`, `{"n":1e400}`, false},
	})
}

func TestMatchJSON(t *testing.T) {
	p, err := Compile([]byte(`{"source":["hydrant"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.String() != `{"source":["hydrant"]}` {
		t.Errorf("String() = %q, want the pattern as given", p.String())
	}
	for _, tc := range []struct {
		event   string
		want    bool
		wantErr bool
	}{
		{`{"source":"hydrant"}`, true, false},
		{`{"source":"other"}`, false, false},
		{`[]`, false, true},
		{`"x"`, false, true},
		{`{"source":`, false, true},
		{`{} {}`, false, true},
		{``, false, true},
	} {
		got, err := p.MatchJSON([]byte(tc.event))
		var ee *EventError
		if tc.wantErr != (err != nil) || (err != nil && !errors.As(err, &ee)) {
			t.Errorf("MatchJSON(%q) error = %v, want error %v (*EventError)", tc.event, err, tc.wantErr)
		}
		if got != tc.want {
			t.Errorf("MatchJSON(%q) = %v, want %v", tc.event, got, tc.want)
		}
	}
}

func TestCompileRejects(t *testing.T) {
	long := `{"k":["` + strings.Repeat("x", DefaultMaxSize) + `"]}`
	for _, tc := range []struct {
		name, pattern string
		path, reason  string // reason: a substring of the AWS-worded reason
	}{
		{"not JSON", `{"a":`, "$", "Filter is not valid JSON"},
		{"trailing data", `{"a":["x"]} x`, "$", "Filter is not valid JSON"},
		{"array", `["a"]`, "$", "Filter is not an object"},
		{"string", `"a"`, "$", "Filter is not an object"},
		{"null", `null`, "$", "Filter is not an object"},
		{"empty object", `{}`, "$", "Empty objects are not allowed"},
		{"nested empty object", `{"detail":{}}`, "$.detail", "Empty objects are not allowed"},
		{"leaf not array", `{"source":"aws.ec2"}`, "$.source", `"source" must be an object or an array`},
		{"leaf number", `{"detail":{"n":5}}`, "$.detail.n", `"n" must be an object or an array`},
		{"empty array", `{"source":[]}`, "$.source", "Empty arrays are not allowed"},
		{"nested array value", `{"source":[["a"]]}`, "$.source[0]", "Match value must be String, number, true, false, or null"},
		{"unknown operator", `{"a":[{"contains":"x"}]}`, "$.a[0].contains", "Unrecognized match type contains"},
		{"operator case", `{"a":[{"EXISTS":true}]}`, "$.a[0].EXISTS", "Unrecognized match type EXISTS"},
		{"misspelt operator", `{"a":[{"anything_but":"x"}]}`, "$.a[0].anything_but", "Unrecognized match type anything_but"},
		{"empty expression", `{"a":[{}]}`, "$.a[0]", "Match expression name not found"},
		{"two operators", `{"a":[{"prefix":"x","suffix":"y"}]}`, "$.a[0].suffix", "Only one key allowed in match expression"},
		{"prefix number", `{"a":[{"prefix":1}]}`, "$.a[0].prefix", "prefix match pattern must be a string"},
		{"suffix null", `{"a":[{"suffix":null}]}`, "$.a[0].suffix", "suffix match pattern must be a string"},
		{"prefix unsupported nested", `{"a":[{"prefix":{"wildcard":"x"}}]}`, "$.a[0].prefix.wildcard", "Unsupported prefix pattern: wildcard"},
		{"prefix ignore case number", `{"a":[{"prefix":{"equals-ignore-case":1}}]}`, "$.a[0].prefix.equals-ignore-case", "equals-ignore-case match pattern must be a string"},
		{"equals-ignore-case list", `{"a":[{"equals-ignore-case":["x"]}]}`, "$.a[0].equals-ignore-case", "equals-ignore-case match pattern must be a string"},
		{"exists string", `{"a":[{"exists":"true"}]}`, "$.a[0].exists", "exists match pattern must be either true or false."},
		{"numeric not array", `{"a":[{"numeric":5}]}`, "$.a[0].numeric", "Value of numeric must be an array."},
		{"numeric empty", `{"a":[{"numeric":[]}]}`, "$.a[0].numeric", "Invalid member in numeric match: ]"},
		{"numeric bad operator", `{"a":[{"numeric":["!=",5]}]}`, "$.a[0].numeric[0]", "Unrecognized numeric range operator: !="},
		{"numeric operand string", `{"a":[{"numeric":[">","5"]}]}`, "$.a[0].numeric[1]", "Value of > must be numeric"},
		{"numeric equals operand", `{"a":[{"numeric":["=",true]}]}`, "$.a[0].numeric[1]", "Value of equals must be numeric"},
		{"numeric missing operand", `{"a":[{"numeric":["<"]}]}`, "$.a[0].numeric", "Value of < must be numeric"},
		{"numeric first not string", `{"a":[{"numeric":[5,">"]}]}`, "$.a[0].numeric[0]", "Invalid member in numeric match: 5"},
		{"numeric range from upper", `{"a":[{"numeric":["<",5,">",1]}]}`, "$.a[0].numeric[2]", "Too many elements in numeric expression"},
		{"numeric bad range operator", `{"a":[{"numeric":[">",0,">",5]}]}`, "$.a[0].numeric[2]", "Bad numeric range operator: >"},
		{"numeric range value", `{"a":[{"numeric":[">",0,"<","5"]}]}`, "$.a[0].numeric[3]", "Value of < must be numeric"},
		{"numeric bottom above top", `{"a":[{"numeric":[">",5,"<",1]}]}`, "$.a[0].numeric", "Bottom must be less than top"},
		{"numeric too many terms", `{"a":[{"numeric":[">",0,"<",5,"<",6]}]}`, "$.a[0].numeric[4]", "Too many terms in numeric range expression"},
		{"numeric unrepresentable", `{"a":[{"numeric":[">",9007199254740993]}]}`, "$.a[0].numeric[1]", "Cannot compare number"},
		{"numeric overflow", `{"a":[{"numeric":[">",1e400]}]}`, "$.a[0].numeric[1]", "Cannot compare number"},
		{"exact number overflow", `{"a":[1e400]}`, "$.a[0]", "Cannot compare number"},
		{"anything-but boolean", `{"a":[{"anything-but":true}]}`, "$.a[0].anything-but", "Value of anything-but must be an array or single string/number value."},
		{"anything-but null", `{"a":[{"anything-but":null}]}`, "$.a[0].anything-but", "Value of anything-but must be an array or single string/number value."},
		{"anything-but list null", `{"a":[{"anything-but":["a",null]}]}`, "$.a[0].anything-but[1]", "Inside anything but list, start|null|boolean is not supported."},
		{"anything-but list mixed", `{"a":[{"anything-but":["a",1]}]}`, "$.a[0].anything-but", "mixed type is not supported"},
		{"anything-but empty list", `{"a":[{"anything-but":[]}]}`, "$.a[0].anything-but", "Empty arrays are not allowed"},
		{"anything-but unsupported nested", `{"a":[{"anything-but":{"numeric":[">",1]}}]}`, "$.a[0].anything-but.numeric", "Unsupported anything-but pattern: numeric"},
		{"anything-but empty prefix", `{"a":[{"anything-but":{"prefix":""}}]}`, "$.a[0].anything-but.prefix", "Null prefix/suffix not allowed"},
		{"anything-but prefix number", `{"a":[{"anything-but":{"prefix":1}}]}`, "$.a[0].anything-but.prefix", "prefix/suffix match pattern must be a string"},
		{"anything-but ignore case number", `{"a":[{"anything-but":{"equals-ignore-case":[1]}}]}`, "$.a[0].anything-but.equals-ignore-case[0]", "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."},
		{"anything-but nested two keys", `{"a":[{"anything-but":{"prefix":"a","suffix":"b"}}]}`, "$.a[0].anything-but.suffix", "Only one key allowed in match expression"},
		{"anything-but wildcard consecutive", `{"a":[{"anything-but":{"wildcard":"a**"}}]}`, "$.a[0].anything-but.wildcard", "Consecutive wildcard characters at pos 2"},
		{"wildcard consecutive", `{"a":[{"wildcard":"abc**def"}]}`, "$.a[0].wildcard", "Consecutive wildcard characters at pos 4"},
		{"wildcard bad escape", `{"a":[{"wildcard":"a\\bc"}]}`, "$.a[0].wildcard", "Invalid escape character at pos 2"},
		{"wildcard trailing backslash", `{"a":[{"wildcard":"ab\\"}]}`, "$.a[0].wildcard", "Invalid escape character at pos 3"},
		{"wildcard number", `{"a":[{"wildcard":5}]}`, "$.a[0].wildcard", "wildcard match pattern must be a string"},
		{"cidr no slash", `{"a":[{"cidr":"10.0.0.1"}]}`, "$.a[0].cidr", "Malformed CIDR, one '/' required"},
		{"cidr two slashes", `{"a":[{"cidr":"10.0.0.0/8/8"}]}`, "$.a[0].cidr", "Malformed CIDR, one '/' required"},
		{"cidr mask not integer", `{"a":[{"cidr":"10.0.0.0/x"}]}`, "$.a[0].cidr", "Malformed CIDR, mask bits must be an integer"},
		{"cidr bad address (LS bad_mask_EXC)", `{"a":[{"cidr":"bad-/64filter"}]}`, "$.a[0].cidr", "Malformed CIDR, mask bits must be an integer"},
		{"cidr nonstandard address", `{"a":[{"cidr":"bad/24"}]}`, "$.a[0].cidr", "Nonstandard IP address: bad"},
		{"cidr octet too big", `{"a":[{"cidr":"10.0.0.256/24"}]}`, "$.a[0].cidr", "Invalid IP address: 10.0.0.256"},
		{"cidr v4 mask too wide", `{"a":[{"cidr":"10.0.0.0/33"}]}`, "$.a[0].cidr", "IPv4 mask bits must be < 32"},
		{"cidr v6 mask too wide", `{"a":[{"cidr":"2001:db8::/128"}]}`, "$.a[0].cidr", "IPv6 mask bits must be < 128"},
		{"cidr v6 malformed", `{"a":[{"cidr":"2001:db8:::1/64"}]}`, "$.a[0].cidr", "Invalid IP address: 2001:db8:::1"},
		{"cidr negative mask", `{"a":[{"cidr":"10.0.0.0/-1"}]}`, "$.a[0].cidr", "Malformed CIDR, mask bits must not be negative"},
		{"cidr number", `{"a":[{"cidr":10}]}`, "$.a[0].cidr", "prefix match pattern must be a string"},
		{"or one member", `{"$or":[{"a":["1"]}]}`, "$.$or", "There must have at least 2 Objects in $or relationship."},
		{"or member not object", `{"$or":[{"a":["1"]},"b"]}`, "$.$or[1]", "Only JSON object is allowed in array of $or relationship."},
		{"or bad member", `{"$or":[{"a":["1"]},{"b":[]}]}`, "$.$or[1].b", "Empty arrays are not allowed"},
		{"too long", long, "$", "characters long; the maximum is 2048"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile([]byte(tc.pattern))
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Compile(%s) = %v, want *Error", tc.pattern, err)
			}
			if pe.Path != tc.path || !strings.Contains(pe.Reason, tc.reason) {
				t.Errorf("Compile(%s):\n got path %q reason %q\nwant path %q reason containing %q", tc.pattern, pe.Path, pe.Reason, tc.path, tc.reason)
			}
			if !strings.HasPrefix(err.Error(), "Event pattern is not valid. Reason: ") {
				t.Errorf("message %q does not read like AWS's", err.Error())
			}
		})
	}
}

// A "$or" that is not $or syntax is retried as an ordinary field name, as EventBridge does; when
// that fails too, the $or error is the one reported.
func TestOrFallback(t *testing.T) {
	p, err := Compile([]byte(`{"$or":{"a":["1"]}}`))
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if ok, _ := p.MatchJSON([]byte(`{"$or":{"a":"1"}}`)); !ok {
		t.Error(`{"$or":{"a":["1"]}} does not match the field "$or"`)
	}
	_, err = Compile([]byte(`{"$or":[{"a":["1"]}]}`))
	var pe *Error
	if !errors.As(err, &pe) || !strings.Contains(pe.Reason, "at least 2 Objects") {
		t.Errorf("single-member $or: %v", err)
	}
}

func TestCompileOptionsSize(t *testing.T) {
	pattern := []byte(`{"k":["` + strings.Repeat("é", 3000) + `"]}`) // 3,010 characters, 6,010 bytes
	if _, err := Compile(pattern); err == nil {
		t.Error("3,010-character pattern accepted with the default 2,048 limit")
	}
	if _, err := CompileOptions(pattern, Options{MaxSize: HardMaxSize}); err != nil {
		t.Errorf("3,010-character pattern rejected with MaxSize 4096 (size counts characters, not bytes): %v", err)
	}
	if _, err := CompileOptions([]byte(`{"k":["x"]}`), Options{MaxSize: HardMaxSize + 1}); err == nil {
		t.Error("MaxSize above 4096 accepted")
	}
	var pe *Error
	if _, err := CompileOptions(pattern, Options{MaxSize: 3000}); !errors.As(err, &pe) || !strings.Contains(pe.Reason, "3010 characters long; the maximum is 3000") {
		t.Errorf("MaxSize 3000: %v", err)
	}
}

func TestOrCombinationLimit(t *testing.T) {
	// Four nested-free $or arrays of 6 members: 6^4 = 1,296 combinations > 1,000.
	var b strings.Builder
	b.WriteString(`{`)
	for i := 0; i < 4; i++ {
		if i > 0 {
			b.WriteString(`,`)
		}
		b.WriteString(`"f` + string(rune('a'+i)) + `":{"$or":[`)
		for j := 0; j < 6; j++ {
			if j > 0 {
				b.WriteString(`,`)
			}
			b.WriteString(`{"k` + string(rune('0'+j)) + `":["v"]}`)
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`}`)
	_, err := CompileOptions([]byte(b.String()), Options{MaxSize: HardMaxSize})
	var pe *Error
	if !errors.As(err, &pe) || !strings.Contains(pe.Reason, "more than 1000 rule combinations") {
		t.Fatalf("Compile(%d-char pattern with 1,296 combinations) = %v", b.Len(), err)
	}
}

func TestDeepNestingIsAnError(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 1000) + `["x"]` + strings.Repeat(`}`, 1000)
	if _, err := CompileOptions([]byte(deep), Options{MaxSize: HardMaxSize}); err == nil {
		t.Error("pattern nested 1,000 deep accepted")
	}
	if _, err := ParseEvent([]byte(strings.Repeat(`[`, 100000) + strings.Repeat(`]`, 100000))); err == nil {
		t.Error("event nested 100,000 deep accepted")
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	p, err := Compile([]byte(`{"source":["hydrant"],"detail":{"streamArn":[{"prefix":"arn:aws:kinesis:"}],"n":[{"numeric":[">",0]}],"ip":[{"cidr":"10.0.0.0/8"}],"s":[{"suffix":{"equals-ignore-case":"X"}}],"w":[{"wildcard":"a*b*c"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := ParseEvent([]byte(`{"source":"hydrant","detail":{"streamArn":"arn:aws:kinesis:eu-west-1:1:stream/s","n":3,"ip":"10.1.2.3","s":"ax","w":"a-b-c","list":[{"a":1},{"a":2}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Match(ev) {
		t.Fatal("no match")
	}
	if n := testing.AllocsPerRun(100, func() { p.Match(ev) }); n != 0 {
		t.Errorf("Match allocates %v times per call", n)
	}
}

// Independent arrays of objects must not multiply into each other in the same-element search:
// three arrays of 2,000 objects would be 8e9 combinations if searched together.
func TestSameElementSearchIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{`)
	for _, name := range []string{"x", "y", "z"} {
		b.WriteString(`"` + name + `":[`)
		for i := 0; i < 2000; i++ {
			if i > 0 {
				b.WriteString(`,`)
			}
			b.WriteString(`{"v":1,"w":2}`)
		}
		b.WriteString(`],`)
	}
	b.WriteString(`"last":[{"q":1},{"r":1}]}`)
	ev, err := ParseEvent([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pattern string
		want    bool
	}{
		{`{"x":{"v":[1],"w":[2]},"y":{"v":[1],"w":[2]},"z":{"v":[1],"w":[2]},"last":{"q":[1],"r":[1]}}`, false},
		{`{"x":{"v":[1],"w":[2]},"y":{"v":[1],"w":[2]},"z":{"v":[1],"w":[2]},"last":{"q":[1]}}`, true},
		{`{"x":{"v":[1],"w":[3]},"y":{"v":[1]}}`, false},
	} {
		p, err := Compile([]byte(tc.pattern))
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Match(ev); got != tc.want {
			t.Errorf("%s: match = %v, want %v", tc.pattern, got, tc.want)
		}
	}
}

// Many leaves inside one array of objects, each with several candidates, and one leaf that no
// element can satisfy together with them: 10^10 combinations for a plain search.
func TestSameElementSearchManyLeaves(t *testing.T) {
	var ev, pat strings.Builder
	ev.WriteString(`{"a":[{`)
	pat.WriteString(`{"a":{`)
	for f := 0; f < 10; f++ {
		if f > 0 {
			ev.WriteString(`,`)
			pat.WriteString(`,`)
		}
		fmt.Fprintf(&ev, `"x%d":[{"v":1},{"v":1},{"v":1},{"v":1},{"v":1},{"v":1},{"v":1},{"v":1},{"v":1},{"v":1}]`, f)
		fmt.Fprintf(&pat, `"x%d":{"v":[1]}`, f)
	}
	ev.WriteString(`},{"q":1}]}`)
	p, err := Compile([]byte(pat.String() + `,"q":[1]}}`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := ParseEvent([]byte(ev.String()))
	if err != nil {
		t.Fatal(err)
	}
	if p.Match(e) {
		t.Error("matched although q is in another element")
	}
	p2, err := Compile([]byte(pat.String() + `}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !p2.Match(e) {
		t.Error("no match without q")
	}
}

func TestExplain(t *testing.T) {
	for _, tc := range []struct {
		pattern, event string
		want           [][]Mismatch
	}{
		{`{"source":["hydrant"]}`, `{"source":"hydrant"}`, nil},
		{`{"source":["hydrant"],"detail":{"streamArn":["a"],"n":[{"numeric":[">",1]}]}}`, `{"source":"hydrant","detail":{"n":0}}`,
			[][]Mismatch{{{Path: "detail.streamArn", Reason: "no value at this path"}, {Path: "detail.n", Reason: "no value satisfies the pattern"}}}},
		{`{"$or":[{"a":["1"]},{"b":["2"]}]}`, `{"a":"0"}`,
			[][]Mismatch{{{Path: "a", Reason: "no value satisfies the pattern"}}, {{Path: "b", Reason: "no value at this path"}}}},
		{`{"a":{"b":["1"],"c":["2"]}}`, `{"a":[{"b":"1"},{"c":"2"}]}`,
			[][]Mismatch{{{Reason: "the fields hold only in different elements of one array of objects, and must hold in the same element"}}}},
	} {
		p, err := Compile([]byte(tc.pattern))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := ParseEvent([]byte(tc.event))
		if err != nil {
			t.Fatal(err)
		}
		got := p.Explain(ev)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("Explain(%s, %s) = %v, want %v", tc.pattern, tc.event, got, tc.want)
		}
	}
}

// The exhaustive fallback of the same-element check: a leaf whose values sit in two different
// arrays (a duplicated key), and a branch with more than 64 leaves.
func TestSameElementFallback(t *testing.T) {
	runMatchCases(t, []matchCase{
		// Two arrays under one key are two arrays: values from different ones do not conflict.
		{"duplicate key arrays", `{"a":{"b":[1],"c":[4]}}`, `{"a":[{"b":1},{"c":4}],"a":[{"b":1,"c":5}]}`, true},
		{"duplicate key arrays beside another array", `{"a":{"b":[1],"c":[4]}}`, `{"a":[{"b":1},{"c":4}],"a":[{"b":1,"c":5}],"x":[{"b":0}]}`, true},
		{"duplicate key arrays, no value", `{"a":{"b":[1],"c":[6]}}`, `{"a":[{"b":1},{"c":4}],"a":[{"b":1,"c":5}]}`, false},
	})
	var fields, sameElement, split strings.Builder
	for i := 0; i < 65; i++ {
		if i > 0 {
			fields.WriteString(",")
			sameElement.WriteString(",")
			split.WriteString(",")
		}
		fmt.Fprintf(&fields, `"f%d":[%d]`, i, i)
		fmt.Fprintf(&sameElement, `"f%d":%d`, i, i)
		if i == 64 {
			fmt.Fprintf(&split, `"g":0},{"f%d":%d`, i, i)
		} else {
			fmt.Fprintf(&split, `"f%d":%d`, i, i)
		}
	}
	pattern := `{"a":{` + fields.String() + `}}`
	p, err := CompileOptions([]byte(pattern), Options{MaxSize: HardMaxSize})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		event string
		want  bool
	}{
		{`{"a":[{"z":1},{` + sameElement.String() + `}]}`, true},
		{`{"a":[{` + split.String() + `}]}`, false},
	} {
		ev, err := ParseEvent([]byte(tc.event))
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Match(ev); got != tc.want {
			t.Errorf("65-leaf pattern, event %.80s…: match = %v, want %v", tc.event, got, tc.want)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&Error{Path: "$", Reason: "Filter is not an object"}, "Event pattern is not valid. Reason: Filter is not an object"},
		{&Error{Path: "$.a[0]", Reason: "Empty arrays are not allowed"}, "Event pattern is not valid. Reason: Empty arrays are not allowed (at $.a[0])"},
		{&EventError{Reason: "not a JSON object but an array"}, "event is not valid: not a JSON object but an array"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	for _, tc := range []struct{ event, reason string }{
		{`[1]`, "not a JSON object but an array"},
		{`"x"`, "not a JSON object but a string"},
		{`true`, "not a JSON object but a boolean"},
		{`null`, "not a JSON object but null"},
		{`12`, "not a JSON object but a number"},
	} {
		_, err := ParseEvent([]byte(tc.event))
		var ee *EventError
		if !errors.As(err, &ee) || ee.Reason != tc.reason {
			t.Errorf("ParseEvent(%s) = %v, want reason %q", tc.event, err, tc.reason)
		}
	}
}
