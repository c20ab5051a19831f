//go:build integration

package esm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
	"github.com/hydrant-dev/hydrant/internal/testkit/failuretest"
)

var (
	millisTime  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)
	secondsTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)
)

// checkRecord compares a parsed on-failure record with the records it must
// describe, field by field.
func checkRecord(t *testing.T, r *failure.Record, b failuretest.KinesisBatch, from, to int, condition string, invokes int, fnErr string) {
	t.Helper()
	bi := r.KinesisBatchInfo
	if bi == nil {
		t.Fatalf("no KinesisBatchInfo in %+v", r)
	}
	checks := []struct {
		field     string
		got, want any
	}{
		{"version", r.Version, "1.0"},
		{"requestContext.functionArn", r.RequestContext.FunctionARN, testFunctionARN},
		{"requestContext.condition", r.RequestContext.Condition, condition},
		{"requestContext.approximateInvokeCount", r.RequestContext.ApproximateInvokeCount, invokes},
		{"KinesisBatchInfo.shardId", bi.ShardID, b.ShardID},
		{"KinesisBatchInfo.startSequenceNumber", bi.StartSequenceNumber, b.Seqs[from]},
		{"KinesisBatchInfo.endSequenceNumber", bi.EndSequenceNumber, b.Seqs[to]},
		{"KinesisBatchInfo.batchSize", bi.BatchSize, to - from + 1},
		{"KinesisBatchInfo.streamArn", bi.StreamARN, b.StreamARN},
		{"KinesisBatchInfo.approximateArrivalOfFirstRecord", bi.ApproximateArrivalOfFirstRecord, b.Arrivals[from].UTC().Truncate(time.Millisecond)},
		{"KinesisBatchInfo.approximateArrivalOfLastRecord", bi.ApproximateArrivalOfLastRecord, b.Arrivals[to].UTC().Truncate(time.Millisecond)},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
		}
	}
	if r.RequestContext.RequestID == "" {
		t.Error("requestContext.requestId is empty")
	}
	// The record is stamped by the mapping's clock (two minutes ahead in
	// the record age test).
	if age := time.Since(r.Timestamp); age > time.Minute || age < -3*time.Minute {
		t.Errorf("timestamp %v is not now", r.Timestamp)
	}
	if condition == ConditionRecordAgeExceeded {
		if r.ResponseContext != nil {
			t.Errorf("responseContext = %+v, want none for RecordAgeExceeded", r.ResponseContext)
		}
		return
	}
	if rc := r.ResponseContext; rc == nil || rc.StatusCode != 200 || rc.ExecutedVersion != "$LATEST" || rc.FunctionError != fnErr {
		t.Errorf("responseContext = %+v, want statusCode 200, executedVersion $LATEST, functionError %q", rc, fnErr)
	}
}

// checkWireFormats checks the raw JSON's timestamp formats and the
// presence of responseContext.functionError (null or a string).
func checkWireFormats(t *testing.T, body []byte, infoKey string, arrival *regexp.Regexp, fnErr string) {
	t.Helper()
	var raw struct {
		Timestamp       string                     `json:"timestamp"`
		ResponseContext map[string]json.RawMessage `json:"responseContext"`
		Info            map[string]json.RawMessage
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(body, &all); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(all[infoKey], &raw.Info); err != nil {
		t.Fatalf("%s: %v in %s", infoKey, err, body)
	}
	if !millisTime.MatchString(raw.Timestamp) {
		t.Errorf("timestamp %q lacks AWS's millisecond format", raw.Timestamp)
	}
	for _, k := range []string{"approximateArrivalOfFirstRecord", "approximateArrivalOfLastRecord"} {
		var s string
		_ = json.Unmarshal(raw.Info[k], &s)
		if !arrival.MatchString(s) {
			t.Errorf("%s.%s = %q, want format %s", infoKey, k, s, arrival)
		}
	}
	if raw.ResponseContext == nil {
		return
	}
	want := "null"
	if fnErr != "" {
		want = `"` + fnErr + `"`
	}
	if got := string(raw.ResponseContext["functionError"]); got != want {
		t.Errorf("responseContext.functionError = %s, want %s", got, want)
	}
}

func sizesOf(batches [][]string) []int {
	out := make([]int, len(batches))
	for i, b := range batches {
		out[i] = len(b)
	}
	return out
}

// A batch of 10 with one poison record (#8), bisection on, 2 retries, SQS
// destination: the exact bisection sequence, and only the poison record
// reaches the destination, in AWS's record format.
func TestKinesisBisectionToSQS(t *testing.T) {
	t.Parallel()
	ep := emulators.Get(t)
	b := failuretest.PutKinesis(t, ep, data("r", 10))
	dlq, dlqARN := newQueue(t, ep, nil)
	c := &consumer{poison: "r8"}
	m := newMappings(t, ep, Options{})
	mp, err := m.Add(context.Background(), Config{
		EventSourceARN: b.StreamARN, FunctionARN: testFunctionARN, ExecutionRoleARN: "arn:aws:iam::000000000000:role/consumer",
		BatchSize: 10, MaximumBatchingWindowInSeconds: 1, StartingPosition: StartingPositionTrimHorizon,
		MaximumRetryAttempts: new(2), BisectBatchOnFunctionError: true,
		DestinationConfig: &DestinationConfig{OnFailure: &OnFailure{DestinationARN: dlqARN}},
	}, c.kinesis)
	if err != nil {
		t.Fatal(err)
	}
	msgs := receiveAll(t, ep, dlq, 1, 15*time.Second)
	settle(t, mp, 9)

	// 10 fails → 5 (ok) + 5 (fails) → 3 (fails) + 2 (ok) → 2 (ok) + 1 (#8: 1 + 2 retries) .
	want := [][]string{
		{"r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10"},
		{"r1", "r2", "r3", "r4", "r5"},
		{"r6", "r7", "r8", "r9", "r10"},
		{"r6", "r7", "r8"},
		{"r6", "r7"},
		{"r8"}, {"r8"}, {"r8"},
		{"r9", "r10"},
	}
	if got := c.invoked(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("invocations (sizes %v)\n got %v\nwant %v (sizes %v)", sizesOf(got), got, want, sizesOf(want))
	}
	if len(msgs) != 1 {
		t.Fatalf("%d on-failure messages, want 1", len(msgs))
	}
	body := aws.ToString(msgs[0].Body)
	msg, err := failure.Parse([]byte(body))
	if err != nil {
		t.Fatalf("failure.Parse: %v\n%s", err, body)
	}
	checkRecord(t, msg.Record, b, 7, 7, ConditionRetryAttemptsExhausted, 3, "Unhandled")
	checkWireFormats(t, []byte(body), "KinesisBatchInfo", millisTime, "Unhandled")
	if strings.Contains(body, `"payload"`) {
		t.Error("an SQS on-failure record carries the payload; AWS sends it to S3 only")
	}
	st := mp.Stats()
	if st.Invocations != 9 || st.FunctionErrors != 6 || st.BatchesDiscarded != 1 || st.BatchesToDestination != 1 || st.RecordsDiscarded != 1 {
		t.Errorf("stats = %+v, want 9 invocations, 6 function errors, 1 batch (1 record) to the destination", st)
	}

	// The event payload, as Lambda sends it.
	var ev events.KinesisEvent
	if err := json.Unmarshal(c.firstPayload(), &ev); err != nil {
		t.Fatal(err)
	}
	for i, r := range ev.Records {
		if r.EventSource != "aws:kinesis" || r.EventName != "aws:kinesis:record" || r.EventVersion != "1.0" ||
			r.EventID != b.ShardID+":"+b.Seqs[i] || r.EventSourceArn != b.StreamARN || r.AwsRegion != "us-east-1" ||
			r.InvokeIdentityArn != "arn:aws:iam::000000000000:role/consumer" || r.Kinesis.KinesisSchemaVersion != "1.0" ||
			r.Kinesis.SequenceNumber != b.Seqs[i] || r.Kinesis.PartitionKey != b.Keys[i] || string(r.Kinesis.Data) != string(b.Data[i]) ||
			r.Kinesis.ApproximateArrivalTimestamp.Sub(b.Arrivals[i]).Abs() > time.Millisecond {
			t.Errorf("event record %d = %+v", i, r)
		}
	}
}

// A batch of 100 with one poison record: bisection isolates it, every other
// record succeeds once, and the S3 object holds the poison record alone at
// AWS's key layout.
func TestKinesisBisection100ToS3(t *testing.T) {
	t.Parallel()
	ep := emulators.Get(t)
	b := failuretest.PutKinesis(t, ep, data("r", 100))
	bucket := newBucket(t, ep)
	c := &consumer{poison: "r37"}
	m := newMappings(t, ep, Options{})
	mp, err := m.Add(context.Background(), Config{
		UUID:           "3c1b6d3e-0000-4000-8000-000000000100",
		EventSourceARN: b.StreamARN, FunctionARN: testFunctionARN,
		BatchSize: 100, MaximumBatchingWindowInSeconds: 1, StartingPosition: StartingPositionTrimHorizon,
		MaximumRetryAttempts: new(1), BisectBatchOnFunctionError: true,
		DestinationConfig: &DestinationConfig{OnFailure: &OnFailure{DestinationARN: "arn:aws:s3:::" + bucket}},
	}, c.kinesis)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the on-failure object", func() bool { return mp.Stats().BatchesToDestination == 1 })
	settle(t, mp, 16)

	// 100 → 50 fails → 25 ok, 25 fails → 13 fails → 7 ok, 6 fails → 3 ok,
	// 3 fails → 2 fails → 1 ok, #37 twice (1 retry); then 1 ok, 12 ok, 50 ok.
	wantSizes := []int{100, 50, 25, 25, 13, 7, 6, 3, 3, 2, 1, 1, 1, 1, 12, 50}
	got := c.invoked()
	if fmt.Sprint(sizesOf(got)) != fmt.Sprint(wantSizes) {
		t.Errorf("batch sizes %v, want %v", sizesOf(got), wantSizes)
	}
	succeeded := map[string]int{}
	for _, batch := range got {
		if !slices.Contains(batch, "r37") {
			for _, d := range batch {
				succeeded[d]++
			}
		}
	}
	for i := 1; i <= 100; i++ {
		d := "r" + itoa(i)
		if want := map[bool]int{true: 0, false: 1}[i == 37]; succeeded[d] != want {
			t.Errorf("%s succeeded %d times, want %d", d, succeeded[d], want)
		}
	}

	ctx := context.Background()
	list, err := ep.S3Client().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != 1 {
		t.Fatalf("%d objects, want 1", len(list.Contents))
	}
	key := aws.ToString(list.Contents[0].Key)
	layout := regexp.MustCompile(`^aws/lambda/` + regexp.QuoteMeta(mp.UUID()) + `/` + regexp.QuoteMeta(b.ShardID) +
		`/(\d{4})/(\d{2})/(\d{2})/(\d{4})-(\d{2})-(\d{2})T\d{2}\.\d{2}\.\d{2}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	parts := layout.FindStringSubmatch(key)
	if parts == nil {
		t.Fatalf("key %q does not follow aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<UUID>", key)
	}
	if parts[1] != parts[4] || parts[2] != parts[5] || parts[3] != parts[6] {
		t.Errorf("key %q: date folders and file name disagree", key)
	}
	obj, err := ep.S3Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	r, err := failure.ParseObject(body)
	if err != nil {
		t.Fatalf("failure.ParseObject: %v\n%s", err, body)
	}
	checkRecord(t, r, b, 36, 36, ConditionRetryAttemptsExhausted, 2, "Unhandled")
	checkWireFormats(t, body, "KinesisBatchInfo", millisTime, "Unhandled")
	recs, err := r.Payload.KinesisRecords()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || string(recs[0].Kinesis.Data) != "r37" || recs[0].Kinesis.SequenceNumber != b.Seqs[36] || recs[0].EventID != b.ShardID+":"+b.Seqs[36] {
		t.Errorf("payload records = %+v, want the poison record alone", recs)
	}
}

// Partial batch response: checkpoint at the lowest failed sequence number,
// records after it redelivered, records before it not; the discarded part
// goes to an SNS destination with functionError null.
func TestKinesisPartialBatchResponseToSNS(t *testing.T) {
	t.Parallel()
	ep := emulators.Get(t)
	b := failuretest.PutKinesis(t, ep, data("r", 10))
	topic, queue := newTopicToQueue(t, ep)
	c := &consumer{poison: "r7", report: true}
	m := newMappings(t, ep, Options{})
	mp, err := m.Add(context.Background(), Config{
		EventSourceARN: b.StreamARN, FunctionARN: testFunctionARN,
		BatchSize: 10, MaximumBatchingWindowInSeconds: 1, StartingPosition: StartingPositionTrimHorizon,
		MaximumRetryAttempts: new(2), FunctionResponseTypes: []string{ReportBatchItemFailures},
		DestinationConfig: &DestinationConfig{OnFailure: &OnFailure{DestinationARN: topic}},
	}, c.kinesis)
	if err != nil {
		t.Fatal(err)
	}
	msgs := receiveAll(t, ep, queue, 1, 15*time.Second)
	settle(t, mp, 3)
	tail := []string{"r7", "r8", "r9", "r10"}
	want := [][]string{{"r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10"}, tail, tail}
	if got := c.invoked(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("invocations\n got %v\nwant %v", got, want)
	}
	msg, err := failure.Parse([]byte(aws.ToString(msgs[0].Body)))
	if err != nil {
		t.Fatalf("failure.Parse: %v\n%s", err, aws.ToString(msgs[0].Body))
	}
	if msg.Destination != failure.DestinationSNS || msg.SNSTopicARN != topic {
		t.Errorf("destination %q topic %q, want sns %s", msg.Destination, msg.SNSTopicARN, topic)
	}
	checkRecord(t, msg.Record, b, 6, 9, ConditionRetryAttemptsExhausted, 3, "")
	var envelope struct{ Message string }
	if err := json.Unmarshal([]byte(aws.ToString(msgs[0].Body)), &envelope); err != nil {
		t.Fatal(err)
	}
	checkWireFormats(t, []byte(envelope.Message), "KinesisBatchInfo", millisTime, "")
	if st := mp.Stats(); st.PartialResponses != 3 || st.FunctionErrors != 0 {
		t.Errorf("stats = %+v, want 3 partial responses and no function errors", st)
	}
}

// MaximumRecordAgeInSeconds: records older than the limit are discarded
// unprocessed with condition RecordAgeExceeded and no responseContext. The
// mapping's clock runs two minutes ahead so that the records are old.
func TestKinesisMaximumRecordAge(t *testing.T) {
	t.Parallel()
	ep := emulators.Get(t)
	b := failuretest.PutKinesis(t, ep, data("old", 2))
	dlq, dlqARN := newQueue(t, ep, nil)
	c := &consumer{}
	m := newMappings(t, ep, Options{Now: func() time.Time { return time.Now().Add(2 * time.Minute) }})
	mp, err := m.Add(context.Background(), Config{
		EventSourceARN: b.StreamARN, FunctionARN: testFunctionARN, StartingPosition: StartingPositionTrimHorizon,
		MaximumBatchingWindowInSeconds: 1, BatchSize: 2, MaximumRecordAgeInSeconds: new(60), MaximumRetryAttempts: new(0),
		DestinationConfig: &DestinationConfig{OnFailure: &OnFailure{DestinationARN: dlqARN}},
	}, c.kinesis)
	if err != nil {
		t.Fatal(err)
	}
	msgs := receiveAll(t, ep, dlq, 2, 15*time.Second)
	settle(t, mp, 0)
	if got := c.invoked(); len(got) != 0 {
		t.Errorf("function invoked with %v; expired records must not be", got)
	}
	slices.SortFunc(msgs, func(a, b2 sqstypes.Message) int { return strings.Compare(seqOf(t, a), seqOf(t, b2)) })
	for i, msg := range msgs {
		body := aws.ToString(msg.Body)
		p, err := failure.Parse([]byte(body))
		if err != nil {
			t.Fatalf("failure.Parse: %v\n%s", err, body)
		}
		checkRecord(t, p.Record, b, i, i, ConditionRecordAgeExceeded, 1, "")
		if strings.Contains(body, "responseContext") {
			t.Errorf("RecordAgeExceeded record has a responseContext: %s", body)
		}
	}
}

// seqOf is the start sequence number of the record in an on-failure message.
func seqOf(t *testing.T, m sqstypes.Message) string {
	t.Helper()
	var r InvocationRecord
	if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &r); err != nil || r.KinesisBatchInfo == nil {
		t.Fatalf("not a Kinesis invocation record (%v): %s", err, aws.ToString(m.Body))
	}
	return r.KinesisBatchInfo.StartSequenceNumber
}
