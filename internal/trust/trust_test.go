package trust_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/hydrate"
	"github.com/hydrant-dev/hydrant/internal/trust"
)

const (
	streamA = "arn:aws:kinesis:us-east-1:123456789012:stream/a"
	streamB = "arn:aws:kinesis:us-east-1:123456789012:stream/b"
)

func TestParseNamesEachProblem(t *testing.T) {
	_, err := trust.Parse(`[{"streamArn":"nope","destinations":["ftp"],"senderRoleIds":["arn:aws:iam::1:role/x"]},{"streamArn":"` + streamA + `"}]`)
	for _, want := range []string{`[0].streamArn "nope"`, `[0].destinations: "ftp"`, `[0].senderRoleIds: "arn:aws:iam::1:role/x" is not a role's unique ID`, `[1].destinations: at least one`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if _, err := trust.Parse(`{}`); err == nil {
		t.Error("an object is not a list of streams")
	}
}

func TestAdmit(t *testing.T) {
	p, err := trust.Parse(`[{"streamArn":"` + streamA + `","destinations":["sqs","s3"],"senderRoleIds":["AROAEXAMPLEROLEA0001"],"mappingIds":["m-a"]},` +
		`{"streamArn":"` + streamB + `","destinations":["sns"]}]`)
	if err != nil {
		t.Fatal(err)
	}
	rec := func(arn string) *failure.Record {
		return &failure.Record{KinesisBatchInfo: &failure.BatchInfo{StreamARN: arn, ShardID: "shardId-0"}}
	}
	obj := func(key string) *failure.ObjectRef { return &failure.ObjectRef{Bucket: "f", Key: key} }
	for _, tc := range []struct {
		name   string
		msg    failure.Message
		rec    *failure.Record
		obj    *failure.ObjectRef
		reason string // "" admitted
	}{
		{"sqs from A's role", failure.Message{Destination: "sqs", SenderID: "AROAEXAMPLEROLEA0001:awslambda_1"}, rec(streamA), nil, ""},
		{"sqs from another role", failure.Message{Destination: "sqs", SenderID: "AROAEXAMPLEOTHER0002:x"}, rec(streamA), nil, trust.RefusedSender},
		{"sqs without SenderId", failure.Message{Destination: "sqs"}, rec(streamA), nil, trust.RefusedNoSenderAttr},
		{"an unknown stream", failure.Message{Destination: "sqs", SenderID: "AROAEXAMPLEROLEA0001:x"}, rec("arn:aws:kinesis:us-east-1:123456789012:stream/c"), nil, trust.RefusedUnknownStream},
		{"B through sqs", failure.Message{Destination: "sqs", SenderID: "AROAEXAMPLEROLEA0001:x"}, rec(streamB), nil, trust.RefusedWrongPath},
		{"B through sns", failure.Message{Destination: "sns"}, rec(streamB), nil, ""},
		{"A's object under its mapping", failure.Message{Destination: "s3"}, rec(streamA), obj("aws/lambda/m-a/shardId-0/2026/11/28/x"), ""},
		{"A's record under another mapping", failure.Message{Destination: "s3"}, rec(streamA), obj("aws/lambda/m-b/shardId-0/2026/11/28/x"), trust.RefusedKeyPrefix},
		{"A's record outside aws/lambda/", failure.Message{Destination: "s3"}, rec(streamA), obj("m-a/x"), trust.RefusedKeyPrefix},
		{"B's record in the bucket", failure.Message{Destination: "s3"}, rec(streamB), obj("aws/lambda/m-a/x"), trust.RefusedWrongPath},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := p.Admit(tc.msg, tc.rec, tc.obj)
			var refused *hydrate.RefusedError
			switch {
			case tc.reason == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.reason != "" && (!errors.As(err, &refused) || refused.Reason != tc.reason):
				t.Fatalf("err = %v, want a refusal %s", err, tc.reason)
			}
		})
	}
}
