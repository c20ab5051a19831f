package esm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/hydrant-dev/hydrant/internal/failure"
)

// flakySQS refuses the first fails SendMessage calls.
type flakySQS struct {
	SQSAPI
	fails int
	sent  []string
}

func (f *flakySQS) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	if f.fails > 0 {
		f.fails--
		return nil, errors.New("queue unavailable")
	}
	f.sent = append(f.sent, aws.ToString(in.MessageBody))
	return &sqs.SendMessageOutput{}, nil
}

// A destination that refuses a record is retried until it takes it; the
// shard waits meanwhile.
func TestDiscardRetriesTheDestination(t *testing.T) {
	s, err := Config{EventSourceARN: "arn:aws:kinesis:us-east-1:000000000000:stream/orders", FunctionARN: testFunctionARN,
		StartingPosition: StartingPositionTrimHorizon}.validate()
	if err != nil {
		t.Fatal(err)
	}
	fake := &flakySQS{fails: 2}
	mp := &Mapping{s: s, opts: Options{RetryDelay: time.Millisecond}.withDefaults(), log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		dest: &sqsDestination{client: fake, arn: "arn:aws:sqs:us-east-1:000000000000:dlq", url: "http://sqs/dlq"}}
	recs := testRecords(3, time.Date(2026, 11, 28, 12, 0, 0, 123e6, time.UTC))
	d := discarded{records: recs[1:], condition: ConditionRetryAttemptsExhausted, invokeCount: 4, responded: true}
	if err := mp.discard(context.Background(), context.Background(), "shardId-000000000007", d); err != nil {
		t.Fatal(err)
	}
	st := mp.Stats()
	if st.DestinationErrors != 2 || st.BatchesToDestination != 1 || st.BatchesDiscarded != 1 || st.RecordsDiscarded != 2 || !strings.Contains(st.LastError, "queue unavailable") {
		t.Errorf("stats = %+v", st)
	}
	if len(fake.sent) != 1 {
		t.Fatalf("%d messages sent, want 1", len(fake.sent))
	}
	r, err := failure.ParseObject([]byte(fake.sent[0]))
	if err != nil {
		t.Fatalf("failure.ParseObject: %v\n%s", err, fake.sent[0])
	}
	bi := r.KinesisBatchInfo
	if bi.ShardID != "shardId-000000000007" || bi.StartSequenceNumber != recs[1].seq || bi.EndSequenceNumber != recs[2].seq || bi.BatchSize != 2 ||
		r.RequestContext.ApproximateInvokeCount != 4 || r.ResponseContext.FunctionError != "" {
		t.Errorf("record = %s", fake.sent[0])
	}
	var raw map[string]map[string]json.RawMessage
	_ = json.Unmarshal([]byte(fake.sent[0]), &raw)
	if got := string(raw["KinesisBatchInfo"]["approximateArrivalOfFirstRecord"]); got != `"2026-11-28T12:00:00.123Z"` {
		t.Errorf("approximateArrivalOfFirstRecord = %s, want \"2026-11-28T12:00:00.123Z\"", got)
	}

	// A mapping that stops while the destination refuses gives up with the
	// context's error, leaving the batch unprocessed.
	fake.fails = 1 << 30
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := mp.discard(ctx, context.Background(), "shardId-000000000007", d); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("discard while stopping = %v, want DeadlineExceeded", err)
	}
}

// A panicking function is a function error, as the Lambda runtime reports it.
func TestInvokeRecoversPanics(t *testing.T) {
	mp := &Mapping{fn: func(context.Context, []byte) ([]byte, error) { panic("boom") }}
	_, err := mp.invoke(context.Background(), []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("invoke = %v, want the panic as an error", err)
	}
	if st := mp.Stats(); st.Invocations != 1 || st.FunctionErrors != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestObjectKey(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	got := ObjectKey("uuid-1", "shardId-000000000000", at, "rand")
	if want := "aws/lambda/uuid-1/shardId-000000000000/2026/01/02/2026-01-02T02.04.05-rand"; got != want {
		t.Errorf("ObjectKey = %q, want %q (UTC)", got, want)
	}
}
