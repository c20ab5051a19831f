//go:build integration

package faultproxy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
	"github.com/hydrant-dev/hydrant/internal/testkit/faultproxy"
)

func TestMain(m *testing.M) { emulators.Main(m) }

func uniqueName(t *testing.T) string {
	return fmt.Sprintf("fp-%s-%d", strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())), time.Now().UnixNano())
}

// noRetry makes one attempt per call, so a test sees exactly what the proxy answered.
func noRetry(o *retry.StandardOptions) { o.MaxAttempts = 1 }

// instantRetry keeps the SDK's retry decisions but without waiting between attempts.
func instantRetry(o *retry.StandardOptions) {
	o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
}

// kinesisStream creates a one-shard stream on the emulator and puts records; it returns the
// shard id and the records' sequence numbers.
func kinesisStream(t *testing.T, c *kinesis.Client, name string, shards int32, data ...[]byte) (string, []string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(shards)}); err != nil {
		t.Fatalf("CreateStream: %v", err)
	}
	waiter := kinesis.NewStreamExistsWaiter(c, func(o *kinesis.StreamExistsWaiterOptions) { o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second })
	if err := waiter.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)}, 30*time.Second); err != nil {
		t.Fatalf("wait for stream %s: %v", name, err)
	}
	var shard string
	var seqs []string
	for _, d := range data {
		out, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(name), PartitionKey: aws.String("pk"), Data: d})
		if err != nil {
			t.Fatalf("PutRecord: %v", err)
		}
		shard = aws.ToString(out.ShardId)
		seqs = append(seqs, aws.ToString(out.SequenceNumber))
	}
	return shard, seqs
}

func shardIterator(t *testing.T, c *kinesis.Client, stream, shard, at string) *string {
	t.Helper()
	out, err := c.GetShardIterator(context.Background(), &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: aws.String(shard),
		ShardIteratorType: kintypes.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: aws.String(at)})
	if err != nil {
		t.Fatalf("GetShardIterator: %v", err)
	}
	return out.ShardIterator
}

// TestKinesisThrottlingTimes: the first two GetRecords are throttled with Kinesis's own error,
// typed by the SDK; the third reaches kinesis-local.
func TestKinesisThrottlingTimes(t *testing.T) {
	ctx := context.Background()
	e := emulators.Get(t)
	direct := e.KinesisClient()
	name := uniqueName(t)
	shard, seqs := kinesisStream(t, direct, name, 1, []byte("one"))

	p, url := faultproxy.Start(t, e.Kinesis)
	throttle := faultproxy.KinesisThroughputExceeded(shard, name, "000000000000")
	rule := p.Fail("GetRecords", 2, throttle)
	c := e.KinesisClient(func(o *kinesis.Options) { o.BaseEndpoint = aws.String(url); o.Retryer = retry.NewStandard(noRetry) })

	it := shardIterator(t, c, name, shard, seqs[0])
	for i := 0; i < 2; i++ {
		_, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it})
		var typed *kintypes.ProvisionedThroughputExceededException
		if !errors.As(err, &typed) {
			t.Fatalf("GetRecords #%d = %v, want *types.ProvisionedThroughputExceededException", i+1, err)
		}
		want := fmt.Sprintf("Rate exceeded for shard %s in stream %s under account 000000000000.", shard, name)
		if typed.ErrorMessage() != want {
			t.Errorf("message = %q, want %q", typed.ErrorMessage(), want)
		}
		var re *awshttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
			t.Errorf("GetRecords #%d: HTTP status not 400: %v", i+1, err)
		}
	}
	out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it})
	if err != nil {
		t.Fatalf("GetRecords after the rule's 2 times: %v", err)
	}
	if len(out.Records) != 1 || string(out.Records[0].Data) != "one" {
		t.Fatalf("GetRecords after the rule = %+v, want the record put", out.Records)
	}
	if rule.Hits() != 2 || p.Calls("GetRecords") != 3 || p.Calls("Kinesis_20131202.GetRecords") != 3 || p.Calls("GetShardIterator") != 1 {
		t.Errorf("hits %d, GetRecords calls %d/%d, GetShardIterator calls %d; want 2, 3/3, 1",
			rule.Hits(), p.Calls("GetRecords"), p.Calls("Kinesis_20131202.GetRecords"), p.Calls("GetShardIterator"))
	}

	// With the SDK's standard retryer the throttling is retried away: 2 failures, then success.
	p.Clear()
	retried := p.Fail("GetRecords", 2, throttle)
	c = e.KinesisClient(func(o *kinesis.Options) {
		o.BaseEndpoint = aws.String(url)
		o.Retryer = retry.NewStandard(instantRetry)
	})
	if out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it}); err != nil || len(out.Records) != 1 {
		t.Fatalf("GetRecords with retries = %v, %v; want the record after 2 retried throttles", out, err)
	}
	if retried.Hits() != 2 {
		t.Errorf("retried rule hits = %d, want 2", retried.Hits())
	}
}

// TestErrorsAreTyped: each constructor, answered through the proxy in front of its real
// emulator, reaches the caller as the SDK's typed error with AWS's message and status.
func TestErrorsAreTyped(t *testing.T) {
	ctx := context.Background()
	e := emulators.Get(t)
	created := time.Date(2020, 1, 15, 5, 31, 22, 0, time.UTC)

	// A stand-in for the local EventBridge endpoint, which is written elsewhere: the proxy only
	// needs something to sit in front of.
	bus := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, `{"FailedEntryCount":0,"Entries":[{"EventId":"e-1"}]}`)
	}))
	defer bus.Close()

	tests := []struct {
		name    string
		backend string
		op      string
		err     faultproxy.AWSError
		call    func(url string) error
		typed   func(error) bool
		status  int
		message string
	}{
		{
			name: "kinesis GetRecords throttled (GetRecords wording)", backend: e.Kinesis, op: "GetRecords",
			err: faultproxy.KinesisGetRecordsThroughputExceeded("123456789012", "orders", "shardId-000000000003"),
			call: func(url string) error {
				_, err := kinesisVia(e, url).GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String("AAAA")})
				return err
			},
			typed:   as[*kintypes.ProvisionedThroughputExceededException],
			status:  400,
			message: "Rate exceeded for Shard - 123456789012/orders/shardId-000000000003",
		},
		{
			name: "kinesis expired iterator", backend: e.Kinesis, op: "GetRecords",
			err: faultproxy.KinesisExpiredIterator(created, created.Add(6*time.Minute+21*time.Second)),
			call: func(url string) error {
				_, err := kinesisVia(e, url).GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String("AAAA")})
				return err
			},
			typed:   as[*kintypes.ExpiredIteratorException],
			status:  400,
			message: "Iterator expired. The iterator was created at time Wed Jan 15 05:31:22 UTC 2020 while right now it is Wed Jan 15 05:37:43 UTC 2020 which is further in the future than the tolerated delay of 300000 milliseconds.",
		},
		{
			name: "kinesis invalid starting sequence number", backend: e.Kinesis, op: "GetShardIterator",
			err: faultproxy.KinesisInvalidStartingSequenceNumber("4959", "shardId-000000000000", "orders", "123456789012"),
			call: func(url string) error {
				_, err := kinesisVia(e, url).GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("orders"),
					ShardId: aws.String("shardId-000000000000"), ShardIteratorType: kintypes.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: aws.String("4959")})
				return err
			},
			typed:   as[*kintypes.InvalidArgumentException],
			status:  400,
			message: "StartingSequenceNumber 4959 used in GetShardIterator on shard shardId-000000000000 in stream orders under account 123456789012 is invalid.",
		},
		{
			name: "kinesis 500 InternalFailure", backend: e.Kinesis, op: "ListShards", err: faultproxy.InternalFailure(),
			call: func(url string) error {
				_, err := kinesisVia(e, url).ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("orders")})
				return err
			},
			typed:   apiCode("InternalFailure"),
			status:  500,
			message: "The request processing has failed because of an unknown error, exception or failure.",
		},
		{
			name: "dynamodb streams trimmed", backend: e.DynamoDBStreams, op: "GetRecords", err: faultproxy.StreamsTrimmedDataAccess(),
			call: func(url string) error {
				_, err := streamsVia(e, url).GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String("AAAA")})
				return err
			},
			typed:   as[*streamtypes.TrimmedDataAccessException],
			status:  400,
			message: "The data you are trying to access has been trimmed",
		},
		{
			name: "dynamodb streams expired iterator", backend: e.DynamoDBStreams, op: "GetRecords", err: faultproxy.StreamsExpiredIterator(),
			call: func(url string) error {
				_, err := streamsVia(e, url).GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String("AAAA")})
				return err
			},
			typed:   as[*streamtypes.ExpiredIteratorException],
			status:  400,
			message: faultproxy.StreamsExpiredIterator().Message,
		},
		{
			name: "dynamodb 500", backend: e.DynamoDB, op: "DescribeTable", err: faultproxy.DynamoDBInternalServerError(),
			call: func(url string) error {
				c := e.DynamoDBClient(func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(url); o.Retryer = retry.NewStandard(noRetry) })
				_, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("t")})
				return err
			},
			typed:   as[*ddbtypes.InternalServerError],
			status:  500,
			message: "Internal server error",
		},
		{
			name: "sqs query protocol error", backend: e.SQS, op: "GetQueueUrl",
			err: faultproxy.AWSError{StatusCode: 400, Code: "AWS.SimpleQueueService.NonExistentQueue", Message: "The specified queue does not exist."},
			call: func(url string) error {
				c := e.SQSClient(func(o *sqs.Options) { o.BaseEndpoint = aws.String(url); o.Retryer = retry.NewStandard(noRetry) })
				_, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("q")})
				return err
			},
			typed:   as[*sqstypes.QueueDoesNotExist],
			status:  400,
			message: "The specified queue does not exist.",
		},
		{
			name: "eventbridge throttled", backend: bus.URL, op: "PutEvents", err: faultproxy.EventBridgeThrottling(),
			call: func(url string) error {
				ee := e
				ee.EventBridge = url
				c := ee.EventBridgeClient(func(o *eventbridge.Options) { o.Retryer = retry.NewStandard(noRetry) })
				_, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String("{}")}}})
				return err
			},
			typed:   apiCode("ThrottlingException"),
			status:  400,
			message: "Rate exceeded",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, url := faultproxy.Start(t, tt.backend)
			rule := p.Fail(tt.op, 0, tt.err)
			err := tt.call(url)
			if err == nil || !tt.typed(err) {
				t.Fatalf("error = %v (%T), want the typed %s", err, errors.Unwrap(err), tt.err.Code)
			}
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorMessage() != tt.message {
				t.Errorf("message = %q, want %q", apiMessage(err), tt.message)
			}
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != tt.status {
				t.Errorf("status = %v, want %d", err, tt.status)
			}
			if rule.Hits() != 1 {
				t.Errorf("rule hits = %d, want 1", rule.Hits())
			}
		})
	}
}

func kinesisVia(e emulators.Endpoints, url string) *kinesis.Client {
	return e.KinesisClient(func(o *kinesis.Options) { o.BaseEndpoint = aws.String(url); o.Retryer = retry.NewStandard(noRetry) })
}

func streamsVia(e emulators.Endpoints, url string) *dynamodbstreams.Client {
	return e.DynamoDBStreamsClient(func(o *dynamodbstreams.Options) {
		o.BaseEndpoint = aws.String(url)
		o.Retryer = retry.NewStandard(noRetry)
	})
}

func as[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

func apiCode(code string) func(error) bool {
	return func(err error) bool {
		var api smithy.APIError
		return errors.As(err, &api) && api.ErrorCode() == code
	}
}

func apiMessage(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorMessage()
	}
	return ""
}

// TestMatchOnBody fails GetRecords for one shard's iterator only; the other shard reads fine.
func TestMatchOnBody(t *testing.T) {
	ctx := context.Background()
	e := emulators.Get(t)
	direct := e.KinesisClient()
	name := uniqueName(t)
	kinesisStream(t, direct, name, 2)
	var its []*string
	for _, shard := range []string{"shardId-000000000000", "shardId-000000000001"} {
		out, err := direct.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(name), ShardId: aws.String(shard), ShardIteratorType: kintypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		its = append(its, out.ShardIterator)
	}
	p, url := faultproxy.Start(t, e.Kinesis)
	var seen sync.Map
	rule := p.Add(&faultproxy.Rule{
		Operation: "Kinesis_20131202.GetRecords", // the full target form
		Match: func(r *faultproxy.Request) bool {
			var in struct{ ShardIterator string }
			seen.Store(r.Operation, true)
			return json.Unmarshal(r.Body, &in) == nil && in.ShardIterator == aws.ToString(its[0])
		},
		Respond: faultproxy.KinesisExpiredIterator(time.Now().Add(-6*time.Minute), time.Now()).Responder(),
	})
	c := kinesisVia(e, url)
	if _, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: its[0]}); !as[*kintypes.ExpiredIteratorException](err) {
		t.Fatalf("GetRecords on shard 0 = %v, want ExpiredIteratorException", err)
	}
	if _, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: its[1]}); err != nil {
		t.Fatalf("GetRecords on shard 1 = %v, want it passed through", err)
	}
	if rule.Hits() != 1 {
		t.Errorf("hits = %d, want 1", rule.Hits())
	}
	if _, ok := seen.Load("GetRecords"); !ok {
		t.Error("the predicate never saw Operation GetRecords")
	}
}

// TestPassThroughKinesis: through the proxy, kinesis-local's answers are the bytes it sends
// directly, and binary record data survives the round trip.
func TestPassThroughKinesis(t *testing.T) {
	ctx := context.Background()
	e := emulators.Get(t)
	name := uniqueName(t)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	shard, seqs := kinesisStream(t, e.KinesisClient(), name, 1, all)
	_, url := faultproxy.Start(t, e.Kinesis)

	raw := func(base string) []byte {
		req, _ := http.NewRequest(http.MethodPost, base, strings.NewReader(`{"StreamName":"`+name+`"}`))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "Kinesis_20131202.ListShards")
		req.Header.Set("X-Amz-Date", "20260101T000000Z")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("ListShards via %s: %d %s", base, resp.StatusCode, b)
		}
		return b
	}
	if direct, proxied := raw(e.Kinesis), raw(url); !bytes.Equal(direct, proxied) {
		t.Errorf("ListShards body differs:\ndirect  %s\nproxied %s", direct, proxied)
	}

	c := kinesisVia(e, url)
	out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: shardIterator(t, c, name, shard, seqs[0])})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Records) != 1 || !bytes.Equal(out.Records[0].Data, all) {
		t.Fatalf("GetRecords through the proxy = %+v, want the 256 byte values", out.Records)
	}
}

// TestTimesUnderConcurrency: a rule for N answers exactly N of many concurrent requests.
func TestTimesUnderConcurrency(t *testing.T) {
	e := emulators.Get(t)
	p, url := faultproxy.Start(t, e.Kinesis)
	rule := p.Fail("ListStreams", 5, faultproxy.KinesisThroughputExceeded("shardId-000000000000", "s", "000000000000"))
	c := kinesisVia(e, url)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed, ok := 0, 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.ListStreams(context.Background(), &kinesis.ListStreamsInput{})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case as[*kintypes.ProvisionedThroughputExceededException](err):
				failed++
			default:
				t.Errorf("ListStreams: %v", err)
			}
		}()
	}
	wg.Wait()
	if failed != 5 || ok != 15 || rule.Hits() != 5 || p.Calls("ListStreams") != 20 {
		t.Errorf("failed %d, ok %d, hits %d, calls %d; want 5, 15, 5, 20", failed, ok, rule.Hits(), p.Calls("ListStreams"))
	}
}

// TestCountingRule: a rule without a responder passes requests through and counts them.
func TestCountingRule(t *testing.T) {
	e := emulators.Get(t)
	p, url := faultproxy.Start(t, e.Kinesis)
	count := p.Add(&faultproxy.Rule{Operation: "ListStreams"})
	failOnce := p.Fail("ListStreams", 1, faultproxy.InternalFailure()) // after the counting rule: never reached
	c := kinesisVia(e, url)
	for i := 0; i < 3; i++ {
		if _, err := c.ListStreams(context.Background(), &kinesis.ListStreamsInput{}); err != nil {
			t.Fatalf("ListStreams #%d: %v", i+1, err)
		}
	}
	if count.Hits() != 3 || failOnce.Hits() != 0 {
		t.Errorf("counting rule hits %d, later rule hits %d; want 3 and 0", count.Hits(), failOnce.Hits())
	}
}

// TestPutEventsPartialFailure: failed entries never reach the bus and come back, in place, with
// the entry error; the others reach the bus and carry its answers.
func TestPutEventsPartialFailure(t *testing.T) {
	ctx := context.Background()
	// The local EventBridge endpoint (internal/localcloud/eventbus) is written elsewhere; this
	// stand-in answers PutEvents the way EventBridge does and records what reached it. Swap in
	// the real handler by passing its URL to faultproxy.Start.
	var mu sync.Mutex
	var received []string
	calls := 0
	bus := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Entries []struct{ Detail string } }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" {
			w.WriteHeader(400)
			return
		}
		mu.Lock()
		calls++
		var out struct {
			FailedEntryCount int
			Entries          []map[string]string
		}
		for _, e := range in.Entries {
			received = append(received, e.Detail)
			out.Entries = append(out.Entries, map[string]string{"EventId": "id-" + e.Detail})
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(out)
	}))
	defer bus.Close()

	e := emulators.Get(t)
	p, url := faultproxy.Start(t, bus.URL)
	e.EventBridge = url
	c := e.EventBridgeClient(func(o *eventbridge.Options) { o.Retryer = retry.NewStandard(noRetry) })
	entries := func(n int) []ebtypes.PutEventsRequestEntry {
		var es []ebtypes.PutEventsRequestEntry
		for i := 0; i < n; i++ {
			es = append(es, ebtypes.PutEventsRequestEntry{Source: aws.String("hydrant"), DetailType: aws.String("RecordHydrated"), Detail: aws.String(fmt.Sprintf(`{"i":%d}`, i))})
		}
		return es
	}

	t.Run("odd entries throttled", func(t *testing.T) {
		received, calls = nil, 0
		p.Clear()
		rule := p.Add(&faultproxy.Rule{Operation: "PutEvents", Times: 1,
			Respond: faultproxy.PutEventsPartialFailure(func(i int, _ json.RawMessage) bool { return i%2 == 1 }, faultproxy.EntryThrottled())})
		out, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries(5)})
		if err != nil {
			t.Fatal(err)
		}
		if out.FailedEntryCount != 2 || len(out.Entries) != 5 {
			t.Fatalf("FailedEntryCount %d, %d entries; want 2 of 5", out.FailedEntryCount, len(out.Entries))
		}
		for i, r := range out.Entries {
			if i%2 == 1 {
				if aws.ToString(r.ErrorCode) != "ThrottlingException" || aws.ToString(r.ErrorMessage) != "Rate exceeded" || r.EventId != nil {
					t.Errorf("entry %d = %+v, want ThrottlingException", i, r)
				}
			} else if want := fmt.Sprintf(`id-{"i":%d}`, i); aws.ToString(r.EventId) != want || r.ErrorCode != nil {
				t.Errorf("entry %d = %+v, want EventId %s", i, r, want)
			}
		}
		if strings.Join(received, ",") != `{"i":0},{"i":2},{"i":4}` {
			t.Errorf("bus received %v, want only entries 0, 2, 4", received)
		}
		// Times: 1, so the retry of the failed entries goes through whole.
		if out, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries(2)}); err != nil || out.FailedEntryCount != 0 {
			t.Fatalf("second PutEvents = %+v, %v; want no failures", out, err)
		}
		if rule.Hits() != 1 {
			t.Errorf("hits = %d, want 1", rule.Hits())
		}
	})

	t.Run("all entries fail", func(t *testing.T) {
		received, calls = nil, 0
		p.Clear()
		p.Add(&faultproxy.Rule{Operation: "PutEvents",
			Respond: faultproxy.PutEventsPartialFailure(func(int, json.RawMessage) bool { return true }, faultproxy.EntryInternalFailure())})
		out, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries(3)})
		if err != nil {
			t.Fatal(err)
		}
		if out.FailedEntryCount != 3 || calls != 0 || aws.ToString(out.Entries[2].ErrorCode) != "InternalFailure" {
			t.Errorf("FailedEntryCount %d, bus calls %d, entry 2 %+v; want 3 failed, no call, InternalFailure", out.FailedEntryCount, calls, out.Entries[2])
		}
	})
}

// TestKinesisTrimHorizon: records below the horizon disappear from GetRecords answers.
func TestKinesisTrimHorizon(t *testing.T) {
	ctx := context.Background()
	e := emulators.Get(t)
	name := uniqueName(t)
	var data [][]byte
	for i := 0; i < 10; i++ {
		data = append(data, []byte(fmt.Sprint(i)))
	}
	shard, seqs := kinesisStream(t, e.KinesisClient(), name, 1, data...)
	p, url := faultproxy.Start(t, e.Kinesis)
	trim, err := faultproxy.KinesisTrimHorizon(seqs[4])
	if err != nil {
		t.Fatal(err)
	}
	p.Add(&faultproxy.Rule{Operation: "GetRecords", Respond: trim})
	c := kinesisVia(e, url)
	out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: shardIterator(t, c, name, shard, seqs[0])})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range out.Records {
		got = append(got, string(r.Data))
	}
	if strings.Join(got, "") != "456789" || out.NextShardIterator == nil {
		t.Errorf("GetRecords through a trim at record 4 = %v (next iterator %v), want records 4..9", got, out.NextShardIterator)
	}

	for _, bad := range []string{"", "abc", "-1", "12x"} {
		if _, err := faultproxy.KinesisTrimHorizon(bad); err == nil {
			t.Errorf("KinesisTrimHorizon(%q) succeeded, want an error", bad)
		}
	}
}
