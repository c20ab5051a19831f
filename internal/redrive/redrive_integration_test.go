//go:build integration

package redrive_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/internal/eventpattern"
	"github.com/hydrant-dev/hydrant/internal/localcloud/lambdaapi"
	"github.com/hydrant-dev/hydrant/internal/redrive"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
	"github.com/hydrant-dev/hydrant/internal/testkit/faultproxy"
)

func TestMain(m *testing.M) { emulators.Main(m) }

// consumer is a stream consumer function behind the local Lambda API endpoint: it records
// every record it is invoked with and reports the poison ones (data containing "poison") as
// batch item failures, until it is fixed.
type consumer struct {
	mu    sync.Mutex
	fixed bool
	// batches are the records processed, per invocation; the consumer dedupes on eventID as
	// the docs ask consumers to, so a record delivered twice is processed once.
	batches [][]events.KinesisEventRecord
	seen    map[string]bool
	// deliveries counts every record delivered, duplicates included.
	deliveries int
	ddb        []events.DynamoDBEventRecord
	// onInvoke, when set, runs before each invocation (n counts from 1).
	onInvoke func(n int)
	// mapped, when set, are the only streams the function has an event source mapping for;
	// nil maps it to every stream.
	mapped []string
}

func (c *consumer) Invoke(ctx context.Context, _ string, payload []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.onInvoke != nil {
		c.onInvoke(len(c.batches) + 1)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var ev struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	var batch []events.KinesisEventRecord
	var failures []map[string]string
	for _, raw := range ev.Records {
		if bytes.Contains(raw, []byte(`"aws:dynamodb"`)) {
			var r events.DynamoDBEventRecord
			_ = json.Unmarshal(raw, &r)
			c.ddb = append(c.ddb, r)
			continue
		}
		var r events.KinesisEventRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, err
		}
		c.deliveries++
		if c.seen[r.EventID] {
			continue
		}
		if !c.fixed && bytes.Contains(r.Kinesis.Data, []byte("poison")) {
			failures = append(failures, map[string]string{"itemIdentifier": r.Kinesis.SequenceNumber})
			// What follows the failed record in the batch is not processed: the mapping
			// will send it again.
			break
		}
		if c.seen == nil {
			c.seen = map[string]bool{}
		}
		c.seen[r.EventID] = true
		batch = append(batch, r)
	}
	c.batches = append(c.batches, batch)
	return json.Marshal(map[string]any{"batchItemFailures": failures})
}

func (c *consumer) Exists(name string) (string, bool) {
	return "arn:aws:lambda:us-east-1:000000000000:function:" + name, name == "orders-consumer"
}

func (c *consumer) EventSourceMappings(_, source string) []lambdaapi.Mapping {
	if c.mapped != nil && !slices.Contains(c.mapped, source) {
		return nil
	}
	return []lambdaapi.Mapping{{UUID: "m-1", BatchSize: 3, EventSourceArn: source, State: "Enabled",
		FunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:orders-consumer"}}
}

// processed lists the records the consumer processed, as "shard:data" in invocation order.
func (c *consumer) processed() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, b := range c.batches {
		for _, r := range b {
			out = append(out, strings.TrimPrefix(r.EventID[:strings.IndexByte(r.EventID, ':')], "shardId-")+":"+string(r.Kinesis.Data))
		}
	}
	return out
}

func (c *consumer) invocations() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.batches)
}

// lambdaClient reaches fn through the local cloud's Lambda API endpoint.
func lambdaClient(t testing.TB, fn lambdaapi.Functions) *lambda.Client {
	srv := httptest.NewServer(lambdaapi.New(fn, nil))
	t.Cleanup(srv.Close)
	e := emulators.Get(t)
	return lambda.NewFromConfig(e.Config(), func(o *lambda.Options) { o.BaseEndpoint = aws.String(srv.URL) })
}

// queue creates a queue on goaws and sends bodies to it.
func queue(t testing.TB, client *sqs.Client, bodies ...[]byte) string {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("redrive-%d", time.Now().UnixNano())
	out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	url := aws.ToString(out.QueueUrl)
	for len(bodies) > 0 {
		n := min(10, len(bodies))
		in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(url)}
		for i, b := range bodies[:n] {
			in.Entries = append(in.Entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(string(b))})
		}
		if _, err := client.SendMessageBatch(ctx, in); err != nil {
			t.Fatal(err)
		}
		bodies = bodies[n:]
	}
	return url
}

// remaining drains the queue (with short visibility) and returns the bodies' data, or their
// detail-types for events that carry no Kinesis data.
func remaining(t *testing.T, client *sqs.Client, url string) []string {
	t.Helper()
	var out []string
	var held []redrive.Message
	src := redrive.NewQueueSource(client, url, 30*time.Second)
	defer func() {
		if err := src.Release(context.Background(), held); err != nil {
			t.Fatal(err)
		}
	}()
	for {
		msgs, err := src.Receive(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			var ev struct {
				DetailType string `json:"detail-type"`
				Detail     struct {
					Kinesis struct {
						Data []byte `json:"data"`
					} `json:"kinesis"`
				} `json:"detail"`
			}
			if json.Unmarshal(m.Body, &ev) != nil {
				out = append(out, "junk")
				continue
			}
			if ev.Detail.Kinesis.Data != nil {
				out = append(out, string(ev.Detail.Kinesis.Data))
			} else {
				out = append(out, ev.DetailType)
			}
		}
		held = append(held, msgs...)
	}
	slices.Sort(out)
	return out
}

func streamReport(t *testing.T, rep *redrive.Report, stream string) *redrive.StreamReport {
	t.Helper()
	for _, s := range rep.Streams {
		if s.StreamARN == stream {
			return s
		}
	}
	t.Fatalf("the report has no stream %s: %+v", stream, rep.Streams)
	return nil
}

func journal(t *testing.T) *redrive.Journal {
	t.Helper()
	j, err := redrive.OpenJournal(filepath.Join(t.TempDir(), "redrive.journal"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func data(s string) []byte { return []byte(`{"v":"` + s + `"}`) }

// A queue with two shards' records in shuffled order, an event of another stream, a
// RecordHydrationFailed and a message that is no event: the selected records reach the
// function in sequence order per shard, in batches of the mapping's size (3), and leave the
// queue; everything else stays in it, untouched.
func TestRedriveQueueToFunctionInOrderPerShard(t *testing.T) {
	e := emulators.Get(t)
	sqsc := e.SQSClient()
	orders, other := streamARN("orders"), streamARN("payments")
	var bodies [][]byte
	for _, n := range []int{5, 1, 4, 2, 3} {
		bodies = append(bodies, kinesisEvent(t, orders, "shardId-000000000000", n, "pk", data(fmt.Sprintf("a%d", n)), arrival))
	}
	for _, n := range []int{2, 1} {
		bodies = append(bodies, kinesisEvent(t, orders, "shardId-000000000001", n, "pk", data(fmt.Sprintf("b%d", n)), arrival))
	}
	bodies = append(bodies, kinesisEvent(t, other, "shardId-000000000000", 1, "pk", data("other"), arrival), failedEvent(t, orders), []byte("not json"))
	url := queue(t, sqsc, bodies...)

	fn := &consumer{}
	rep, err := redrive.Run(context.Background(), redrive.NewQueueSource(sqsc, url, 5*time.Minute),
		redrive.NewFunctionDestination(lambdaClient(t, fn), "orders-consumer"), redrive.Options{StreamARN: orders, Journal: journal(t)})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`000000000000:{"v":"a1"}`, `000000000000:{"v":"a2"}`, `000000000000:{"v":"a3"}`, `000000000000:{"v":"a4"}`, `000000000000:{"v":"a5"}`,
		`000000000001:{"v":"b1"}`, `000000000001:{"v":"b2"}`}
	if got := fn.processed(); !slices.Equal(got, want) {
		t.Errorf("processed\n%q\nwant\n%q", got, want)
	}
	if got := fn.invocations(); got != 3 { // a1-a3, a4-a5, b1-b2
		t.Errorf("%d invocations, want 3 (batches of the mapping's 3, one shard per invocation)", got)
	}
	if !rep.Complete() || len(rep.Streams) != 1 || rep.Streams[0].Read != 7 || rep.Streams[0].Redriven != 7 {
		t.Errorf("report = %+v", rep.Streams[0])
	}
	if got, want := remaining(t, sqsc, url), []string{"RecordHydrationFailed", "junk", `{"v":"other"}`}; !slices.Equal(got, want) {
		t.Errorf("left in the queue %q, want %q", got, want)
	}
}

// The consumer fails a record again: it and the records after it in its shard stay in the
// queue, the report names it, and the other shard is redriven. Once the consumer is fixed, a
// second run processes exactly the records that stayed, in order.
func TestRedriveBatchItemFailuresStayInTheQueue(t *testing.T) {
	e := emulators.Get(t)
	sqsc := e.SQSClient()
	orders := streamARN("orders")
	var bodies [][]byte
	for n, d := range []string{"a0", "a1", "poison-a2", "a3", "a4", "a5"} {
		bodies = append(bodies, kinesisEvent(t, orders, "shardId-000000000000", n, "pk", data(d), arrival))
	}
	bodies = append(bodies, kinesisEvent(t, orders, "shardId-000000000001", 0, "pk", data("b0"), arrival))
	url := queue(t, sqsc, bodies...)
	fn := &consumer{}
	client, j := lambdaClient(t, fn), journal(t)
	run := func() *redrive.Report {
		rep, err := redrive.Run(context.Background(), redrive.NewQueueSource(sqsc, url, 5*time.Minute), redrive.NewFunctionDestination(client, "orders-consumer"), redrive.Options{Journal: j})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	rep := run()
	s := rep.Streams[0]
	if rep.Complete() || s.Redriven != 3 || s.FailedAgain != 1 || s.Held != 3 {
		t.Errorf("report = %+v, want 3 redriven (a0, a1, b0), 1 failed again, 3 held", *s)
	}
	if len(rep.Failures) == 0 || rep.Failures[0].SequenceNumber != seq(2) || rep.Failures[0].Held {
		t.Errorf("failures = %+v, want poison-a2 first", rep.Failures)
	}
	if got, want := remaining(t, sqsc, url), []string{`{"v":"a3"}`, `{"v":"a4"}`, `{"v":"a5"}`, `{"v":"poison-a2"}`}; !slices.Equal(got, want) {
		t.Errorf("left in the queue %q, want %q", got, want)
	}
	fn.fixed = true
	rep = run()
	if !rep.Complete() || rep.Streams[0].Redriven != 4 {
		t.Errorf("second run report = %+v", *rep.Streams[0])
	}
	want := []string{`000000000000:{"v":"a0"}`, `000000000000:{"v":"a1"}`, `000000000001:{"v":"b0"}`,
		`000000000000:{"v":"poison-a2"}`, `000000000000:{"v":"a3"}`, `000000000000:{"v":"a4"}`, `000000000000:{"v":"a5"}`}
	if got := fn.processed(); !slices.Equal(got, want) {
		t.Errorf("processed\n%q\nwant\n%q", got, want)
	}
	if got := remaining(t, sqsc, url); len(got) != 0 {
		t.Errorf("left in the queue: %q", got)
	}
}

// A redrive stopped twice: once by the operator (the context is cancelled during an
// invocation) and once by SQS refusing to delete what the function had accepted. Running it
// again finishes the work: nothing is lost, a consumer that dedupes on eventID processes each
// record once and in order, the records journaled before the failed delete are deleted
// without being sent again, and the queue ends empty.
func TestRedriveInterruptedAndResumed(t *testing.T) {
	e := emulators.Get(t)
	proxy, proxyURL := faultproxy.Start(t, e.SQS)
	sqsc := e.SQSClient(func(o *sqs.Options) { o.BaseEndpoint = aws.String(proxyURL); o.RetryMaxAttempts = 1 })
	orders := streamARN("orders")
	var bodies [][]byte
	for n := range 9 {
		bodies = append(bodies, kinesisEvent(t, orders, "shardId-000000000000", n, "pk", data(fmt.Sprint(n)), arrival))
	}
	url := queue(t, e.SQSClient(), bodies...)
	fn := &consumer{}
	client, j := lambdaClient(t, fn), journal(t)
	run := func(ctx context.Context) (*redrive.Report, error) {
		return redrive.Run(ctx, redrive.NewQueueSource(sqsc, url, 5*time.Minute), redrive.NewFunctionDestination(client, "orders-consumer"), redrive.Options{Journal: j})
	}

	// 1. Stopped by the operator before the second batch.
	ctx, cancel := context.WithCancel(context.Background())
	fn.onInvoke = func(n int) {
		if n == 2 {
			cancel()
		}
	}
	if _, err := run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: err = %v, want context.Canceled", err)
	}
	fn.onInvoke = nil
	if got := len(remaining(t, e.SQSClient(), url)); got != 6 {
		t.Fatalf("after the interrupted run %d messages are in the queue, want 6 (the first batch of 3 redriven)", got)
	}

	// 2. The function accepts the next batch, but SQS will not delete its messages.
	rule := proxy.Fail("DeleteMessageBatch", 0, faultproxy.ServiceUnavailable())
	if _, err := run(context.Background()); err == nil {
		t.Fatal("second run: no error although every delete failed")
	}
	if rule.Hits() == 0 {
		t.Fatal("the fault proxy saw no DeleteMessageBatch")
	}
	if j.Len() != 6 {
		t.Errorf("journal holds %d records, want 6 (accepted before the failed delete)", j.Len())
	}

	// 3. Resumed with SQS healthy.
	proxy.Clear()
	rep, err := run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Streams[0]; s.AlreadyDone != 3 || s.Redriven != 3 || !rep.Complete() {
		t.Errorf("resumed run report = %+v, want 3 already done (deleted, not sent) and 3 redriven", *s)
	}
	// Delivered: 0-2 once; 3-5 up to twice (the interrupted invocation may have reached the
	// consumer) and once more after the failed delete; 6-8 once. Never a third time.
	if fn.deliveries > 12 {
		t.Errorf("%d deliveries, want at most 12: the journaled records were sent again", fn.deliveries)
	}
	var want []string
	for n := range 9 {
		want = append(want, fmt.Sprintf(`000000000000:{"v":"%d"}`, n))
	}
	if got := fn.processed(); !slices.Equal(got, want) {
		t.Errorf("processed\n%q\nwant each record once, in order:\n%q", got, want)
	}
	if got := remaining(t, e.SQSClient(), url); len(got) != 0 {
		t.Errorf("left in the queue: %q", got)
	}
}

// The archive: Firehose objects (GZIP in AWS, plain locally), one event per line, filtered by
// time and pattern. The archive keeps its objects, so a second run sends nothing: the
// journal knows every record.
func TestRedriveFromArchive(t *testing.T) {
	e := emulators.Get(t)
	s3c := e.S3Client()
	ctx := context.Background()
	bucket := fmt.Sprintf("archive-%d", time.Now().UnixNano())
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	orders := streamARN("orders")
	day1, day2 := arrival, arrival.Add(24*time.Hour)
	var plain, zipped bytes.Buffer
	for n := range 3 {
		plain.Write(kinesisEvent(t, orders, "shardId-000000000000", n, "pk", data(fmt.Sprintf("d1-%d", n)), day1))
		plain.WriteByte('\n')
	}
	gz := gzip.NewWriter(&zipped)
	for n := 3; n < 6; n++ {
		gz.Write(kinesisEvent(t, orders, "shardId-000000000000", n, "pk", data(fmt.Sprintf("d2-%d", n)), day2))
		gz.Write([]byte("\n"))
	}
	gz.Write(kinesisEvent(t, orders, "shardId-000000000000", 6, "pk", []byte(`{"v":"d2-6","skip":true}`), day2))
	gz.Close()
	for key, body := range map[string][]byte{
		"events/stream=orders/date=2026-12-06/hydrant-archive-1": plain.Bytes(),
		"events/stream=orders/date=2026-12-07/hydrant-archive-2": zipped.Bytes(),
	} {
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	pattern, err := eventpattern.Compile([]byte(`{"detail":{"kinesis":{"dataJson":{"skip":[{"exists":false}]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	fn := &consumer{}
	client, j := lambdaClient(t, fn), journal(t)
	opts := redrive.Options{Since: day1.Add(time.Hour), Pattern: pattern, Journal: j}
	run := func() *redrive.Report {
		rep, err := redrive.Run(ctx, redrive.NewArchiveSource(s3c, bucket, "events/stream=orders/"), redrive.NewFunctionDestination(client, "orders-consumer"), opts)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	rep := run()
	want := []string{`000000000000:{"v":"d2-3"}`, `000000000000:{"v":"d2-4"}`, `000000000000:{"v":"d2-5"}`}
	if got := fn.processed(); !slices.Equal(got, want) {
		t.Errorf("processed\n%q\nwant (day 2 only, the skip record left out)\n%q", got, want)
	}
	if rep.Skipped["before --since"] != 3 || rep.Skipped["does not match --pattern"] != 1 {
		t.Errorf("skipped = %v", rep.Skipped)
	}
	rep = run()
	if s := rep.Streams[0]; s.AlreadyDone != 3 || s.Redriven != 0 {
		t.Errorf("second run = %+v, want 3 already done, none sent", *s)
	}
	if got := fn.invocations(); got != 1 {
		t.Errorf("%d invocations in all, want 1", got)
	}
}

// Records offloaded to the claim-check bucket are fetched and checked against their SHA-256:
// a verified one reaches the consumer with its data; one whose object does not verify fails
// again and stays in the queue.
func TestRedriveClaimCheckRecords(t *testing.T) {
	e := emulators.Get(t)
	ctx := context.Background()
	s3c, sqsc := e.S3Client(), e.SQSClient()
	bucket := fmt.Sprintf("claims-%d", time.Now().UnixNano())
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	orders := streamARN("orders")
	big := bytes.Repeat([]byte("x"), 300*1024)
	good := offloaded(t, kinesisEvent(t, orders, "shardId-000000000000", 1, "pk", big, arrival), bucket, "records/orders/1", big)
	bad := offloaded(t, kinesisEvent(t, orders, "shardId-000000000001", 1, "pk", big, arrival), bucket, "records/orders/2", big)
	for key, body := range map[string][]byte{"records/orders/1": big, "records/orders/2": append(bytes.Clone(big[:len(big)-1]), 'y')} {
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	url := queue(t, sqsc, good, bad)
	fn := &consumer{}
	rep, err := redrive.Run(ctx, redrive.NewQueueSource(sqsc, url, 5*time.Minute), redrive.NewFunctionDestination(lambdaClient(t, fn), "orders-consumer"),
		redrive.Options{Journal: journal(t), Offloads: s3c})
	if err != nil {
		t.Fatal(err)
	}
	if got := fn.processed(); len(got) != 1 || !bytes.Equal([]byte(strings.TrimPrefix(got[0], "000000000000:")), big) {
		t.Errorf("the consumer got %d records, want the verified one with its %d bytes", len(got), len(big))
	}
	if s := rep.Streams[0]; s.Redriven != 1 || s.FailedAgain != 1 || len(rep.Failures) != 1 || !strings.Contains(rep.Failures[0].Reason, "sha256") {
		t.Errorf("report = %+v, failures %+v", *s, rep.Failures)
	}
	if got := remaining(t, sqsc, url); len(got) != 1 || got[0] != "RecordHydrated" {
		t.Errorf("left in the queue %q, want the unverified record", got)
	}
}

// Back onto the Kinesis stream: the original partition keys and data, in order per
// partition key. DynamoDB records cannot go there and stay in the queue; a dry run sends and
// deletes nothing.
func TestRedriveToStream(t *testing.T) {
	e := emulators.Get(t)
	ctx := context.Background()
	kc, sqsc := e.KinesisClient(), e.SQSClient()
	target := newKinesisStream(t, kc)
	orders := target // back onto its own stream (another stream's records stay: TestRedriveToStreamTakesOnlyItsOwnRecords)
	var bodies [][]byte
	for n, pk := range []string{"k1", "k2", "k1", "k1", "k2"} {
		bodies = append(bodies, kinesisEvent(t, orders, "shardId-000000000000", n, pk, data(fmt.Sprintf("%s-%d", pk, n)), arrival))
	}
	ddbStream := "arn:aws:dynamodb:us-east-1:000000000000:table/carts/stream/2026-12-06T00:00:00.000"
	bodies = append(bodies, dynamoDBEvent(t, ddbStream, "shardId-1", 1, `{"id":"c"}`, `{"id":"c"}`, arrival))
	url := queue(t, sqsc, bodies...)
	dst := redrive.NewStreamDestination(kc, target)

	dry, err := redrive.Run(ctx, redrive.NewQueueSource(sqsc, url, 5*time.Minute), dst, redrive.Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if s := streamReport(t, dry, orders); s.Redriven != 5 {
		t.Errorf("dry run report %+v, want 5 to redrive", *s)
	}
	if left := remaining(t, sqsc, url); len(left) != 6 {
		t.Fatalf("after the dry run the queue holds %d messages, want all 6", len(left))
	}
	rep, err := redrive.Run(ctx, redrive.NewQueueSource(sqsc, url, 5*time.Minute), dst, redrive.Options{Journal: journal(t)})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Complete() || streamReport(t, rep, orders).Redriven != 5 || rep.Skipped["a dynamodb record cannot be put on a Kinesis stream"] != 1 {
		t.Errorf("report = %+v skipped %v", rep.Streams, rep.Skipped)
	}
	got := readStream(t, kc, target, 5)
	var k1, k2 []string
	for _, g := range got {
		if strings.HasPrefix(g, "k1") {
			k1 = append(k1, g)
		} else {
			k2 = append(k2, g)
		}
	}
	if want := []string{`k1 {"v":"k1-0"}`, `k1 {"v":"k1-2"}`, `k1 {"v":"k1-3"}`}; !slices.Equal(k1, want) {
		t.Errorf("partition key k1 on the stream: %q, want %q", k1, want)
	}
	if want := []string{`k2 {"v":"k2-1"}`, `k2 {"v":"k2-4"}`}; !slices.Equal(k2, want) {
		t.Errorf("partition key k2 on the stream: %q, want %q", k2, want)
	}
	if left := remaining(t, sqsc, url); len(left) != 1 || left[0] != "RecordHydrated" {
		t.Errorf("left in the queue %q, want the DynamoDB record", left)
	}
}

// offloaded turns a Kinesis event's record into a claim-check reference to key; the SHA-256
// is of body, which the test may or may not store under key.
func offloaded(t testing.TB, event []byte, bucket, key string, body []byte) []byte {
	t.Helper()
	ev, err := hydrantevent.Parse(event)
	if err != nil {
		t.Fatal(err)
	}
	d := ev.Detail.(*hydrantevent.RecordHydrated)
	sum := sha256.Sum256(body)
	d.SetOffload(hydrantevent.Offload{Bucket: bucket, Key: key, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:])})
	return envelope(t, d, d.StreamARN, ev.Time)
}

func failedEvent(t testing.TB, stream string) []byte {
	t.Helper()
	d := &hydrantevent.RecordHydrationFailed{
		SchemaVersion: hydrantevent.SchemaVersion, StreamARN: stream, StreamType: hydrantevent.StreamTypeKinesis, ShardID: "shardId-000000000000",
		Missing: hydrantevent.MissingRange{StartSequenceNumber: seq(1), EndSequenceNumber: seq(2), Count: 2},
		Reason:  hydrantevent.ReasonTrimmed, Message: "trimmed", Failure: failureContext(seq(1), seq(2)),
	}
	d.EventID = hydrantevent.MissingEventID(stream, d.ShardID, seq(1), seq(2))
	return envelope(t, d, stream, arrival)
}
