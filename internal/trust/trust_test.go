package trust_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/uuid"

	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/hydrate"
	"github.com/hydrant-dev/hydrant/internal/localcloud/lambdaapi"
	"github.com/hydrant-dev/hydrant/internal/testkit/failuretest"
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
	p, err := trust.Parse(`[{"streamArn":"` + streamA + `","destinations":["sqs","s3"],"senderRoleIds":["AROAEXAMPLEROLEA0001"],"mappingIds":["` + mappingA + `","` + mappingOfC + `"]},` +
		`{"streamArn":"` + streamB + `","destinations":["sns"]}]`)
	if err != nil {
		t.Fatal(err)
	}
	p.VerifyMappingsWith(lambdaEndpoint(t))
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
		{"A's object under its mapping", failure.Message{Destination: "s3"}, rec(streamA), obj("aws/lambda/" + mappingA + "/shardId-0/2026/11/28/x"), ""},
		{"A's record under a mapping not configured for A", failure.Message{Destination: "s3"}, rec(streamA), obj("aws/lambda/" + mappingB + "/shardId-0/2026/11/28/x"), trust.RefusedKeyPrefix},
		{"A's record outside aws/lambda/", failure.Message{Destination: "s3"}, rec(streamA), obj(mappingA + "/x"), trust.RefusedKeyPrefix},
		{"A's record under no mapping UUID", failure.Message{Destination: "s3"}, rec(streamA), obj("aws/lambda/m-a/shardId-0/x"), trust.RefusedKeyPrefix},
		{"A's record under another shard's folder", failure.Message{Destination: "s3"}, rec(streamA), obj("aws/lambda/" + mappingA + "/shardId-1/2026/11/28/x"), trust.RefusedKeyPrefix},
		{"B's record in the bucket", failure.Message{Destination: "s3"}, rec(streamB), obj("aws/lambda/" + mappingA + "/x"), trust.RefusedWrongPath},
		{"A's record under a mapping that reads stream C", failure.Message{Destination: "s3"}, rec(streamA), obj("aws/lambda/" + mappingOfC + "/shardId-0/2026/11/28/x"), trust.RefusedMapping},
		{"A's record in a bucket its mapping does not write to", failure.Message{Destination: "s3"}, rec(streamA), &failure.ObjectRef{Bucket: "other", Key: "aws/lambda/" + mappingA + "/shardId-0/2026/11/28/x"}, trust.RefusedMapping},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := p.Admit(context.Background(), tc.msg, tc.rec, tc.obj)
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

// The mappings of the Lambda endpoint the tests ask: A's, and one of stream C.
const (
	mappingA   = "6b5b4a4e-0d3c-4c1a-9c55-1f2e3d4c5b6a"
	mappingB   = "0f0f0f0f-1111-4222-8333-444455556666" // not a mapping at all
	mappingOfC = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
)

// lambdaEndpoint is the local cloud's Lambda API (package lambdaapi, whose answers are
// checked against AWS's recorded ones) serving two mappings, and the SDK's client for it.
func lambdaEndpoint(t *testing.T) *lambda.Client {
	t.Helper()
	onFailure := func(dest string) *lambdaapi.DestinationConfig {
		return &lambdaapi.DestinationConfig{OnFailure: &lambdaapi.OnFailure{Destination: dest}}
	}
	url := failuretest.ServeMappings(t,
		lambdaapi.Mapping{UUID: mappingA, EventSourceArn: streamA, DestinationConfig: onFailure("arn:aws:s3:::f")},
		lambdaapi.Mapping{UUID: mappingOfC, EventSourceArn: "arn:aws:kinesis:us-east-1:123456789012:stream/c", DestinationConfig: onFailure("arn:aws:s3:::f")})
	return lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
}

// A Lambda that cannot be asked (throttled, access denied, down) is not a refusal: the
// message fails back to SQS and is retried, so a genuine record is not moved aside for it.
func TestAdmitObjectWhenLambdaCannotAnswer(t *testing.T) {
	p, err := trust.Parse(`[{"streamArn":"` + streamA + `","destinations":["s3"]}]`)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-ErrorType", "TooManyRequestsException")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"Type":"User","Reason":"CallerRateLimitExceeded","message":"Rate exceeded"}`))
	}))
	defer srv.Close()
	p.VerifyMappingsWith(lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}))
	rec := &failure.Record{KinesisBatchInfo: &failure.BatchInfo{StreamARN: streamA, ShardID: "shardId-0"}}
	err = p.Admit(context.Background(), failure.Message{Destination: "s3"}, rec, &failure.ObjectRef{Bucket: "f", Key: "aws/lambda/" + mappingA + "/shardId-0/2026/11/28/x"})
	var refused *hydrate.RefusedError
	if err == nil || errors.As(err, &refused) || !strings.Contains(err.Error(), "get event source mapping "+mappingA) {
		t.Fatalf("err = %v, want a retryable error naming the mapping", err)
	}

	// Without a Lambda client the object is not admitted either, and not refused.
	q, _ := trust.Parse(`[{"streamArn":"` + streamA + `","destinations":["s3"]}]`)
	err = q.Admit(context.Background(), failure.Message{Destination: "s3"}, rec, &failure.ObjectRef{Bucket: "f", Key: "aws/lambda/" + mappingA + "/shardId-0/2026/11/28/x"})
	if err == nil || errors.As(err, &refused) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
}

// lenientLambda answers GetEventSourceMapping for any spelling of a mapping's UUID that
// uuid.Parse reads (upper case, braces, urn:uuid:, no hyphens). Whether Lambda does is
// recorded nowhere we could find; the trust must not depend on it.
type lenientLambda struct{ stream, bucket, id string }

func (l lenientLambda) GetEventSourceMapping(_ context.Context, in *lambda.GetEventSourceMappingInput, _ ...func(*lambda.Options)) (*lambda.GetEventSourceMappingOutput, error) {
	if u, err := uuid.Parse(aws.ToString(in.UUID)); err != nil || u.String() != l.id {
		return nil, &lambdatypes.ResourceNotFoundException{Message: aws.String("The resource you requested does not exist.")}
	}
	return &lambda.GetEventSourceMappingOutput{UUID: aws.String(l.id), EventSourceArn: aws.String(l.stream),
		DestinationConfig: &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: aws.String("arn:aws:s3:::" + l.bucket)}}}, nil
}

// The failure bucket's policy keeps aws/lambda/<UUID>/ to the mapping's consumer role for the
// UUID as Lambda writes it (lower case, hyphenated); a key is case-sensitive in S3 and in the
// policy's resource match. Another consumer role may write under any other spelling of B's
// UUID: such a key must be refused before its mapping is looked up, whatever Lambda answers
// for it, or role A could put an object that claims to be B's mapping's.
func TestAdmitObjectOnlyUnderTheUUIDAsLambdaWritesIt(t *testing.T) {
	p, err := trust.Parse(`[{"streamArn":"` + streamB + `","destinations":["s3"]}]`)
	if err != nil {
		t.Fatal(err)
	}
	p.VerifyMappingsWith(lenientLambda{stream: streamB, bucket: "f", id: mappingA})
	rec := &failure.Record{KinesisBatchInfo: &failure.BatchInfo{StreamARN: streamB, ShardID: "shardId-0"}}
	admit := func(id string) error {
		return p.Admit(context.Background(), failure.Message{Destination: "s3"}, rec, &failure.ObjectRef{Bucket: "f", Key: "aws/lambda/" + id + "/shardId-0/2026/11/28/x"})
	}
	if err := admit(mappingA); err != nil {
		t.Fatalf("the mapping's own prefix is refused: %v", err)
	}
	for _, id := range []string{strings.ToUpper(mappingA), "{" + mappingA + "}", "urn:uuid:" + mappingA, strings.ReplaceAll(mappingA, "-", "")} {
		var refused *hydrate.RefusedError
		if err := admit(id); !errors.As(err, &refused) || refused.Reason != trust.RefusedKeyPrefix {
			t.Errorf("key under aws/lambda/%s/: err = %v, want a refusal %s", id, err, trust.RefusedKeyPrefix)
		}
	}
}
