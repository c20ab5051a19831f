package schemas_test

import (
	"reflect"
	"testing"

	"github.com/hydrant-dev/hydrant/schemas"
)

func TestCheckPattern(t *testing.T) {
	for _, tc := range []struct {
		name, pattern string
		want          []string
	}{
		{"a team rule", `{"source":["hydrant"],"detail-type":["RecordHydrated"],"detail":{"streamArn":["a"],"kinesis":{"partitionKey":[{"prefix":"eu-"}]}}}`, nil},
		{"the example's old path (issue 9, item 10)", `{"detail-type":["RecordHydrated"],"detail":{"record":{"kinesis":{"partitionKey":[{"prefix":"eu-"}]}}}}`,
			[]string{"path detail.record.kinesis.partitionKey is in no RecordHydrated event (schemas/)"}},
		{"an open object: images and dataJson hold anything", `{"detail":{"dynamodb":{"newImage":{"status":["x"]}},"kinesis":{"dataJson":{"items":{"sku":["a"]}}}}}`, nil},
		{"a failure field in a RecordHydrated-only rule", `{"detail-type":["RecordHydrated"],"detail":{"reason":["trimmed"]}}`,
			[]string{"path detail.reason is in no RecordHydrated event (schemas/)"}},
		{"a failure field with both types", `{"detail-type":["RecordHydrated","RecordHydrationFailed"],"detail":{"reason":["trimmed"]}}`, nil},
		{"$or branches each with their detail type", `{"source":["hydrant"],"$or":[{"detail-type":["RecordHydrated"],"detail":{"kinesis":{"partitionKey":["p"]}}},{"detail-type":["RecordHydrationFailed"],"detail":{"missing":{"count":[{"numeric":[">",0]}]}}}]}`, nil},
		{"$or branch with a path of the other type", `{"$or":[{"detail-type":["RecordHydrationFailed"],"detail":{"kinesis":{"partitionKey":["p"],"nope":["x"]}}}]}`,
			[]string{"path detail.kinesis.nope is in no RecordHydrationFailed event (schemas/)"}},
		{"envelope fields", `{"source":["hydrant"],"account":["1"],"resources":["a"],"region":["r"]}`, nil},
		{"an unknown detail type", `{"detail-type":["Other"]}`, []string{"path detail-type is in no Hydrant event (schemas/)"}},
		{"exists false on an absent path is fine", `{"detail":{"nothing":[{"exists":false}]}}`, nil},
		{"a leaf below a string", `{"detail":{"streamArn":{"x":["y"]}}}`, []string{"path detail.streamArn.x is in no RecordHydrated or RecordHydrationFailed event (schemas/)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			problems, err := schemas.CheckPattern([]byte(tc.pattern))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range problems {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("problems %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := schemas.CheckPattern([]byte(`[1]`)); err == nil {
		t.Error("a pattern that is not an object must be an error")
	}
}
