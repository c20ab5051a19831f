//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hydrant-dev/hydrant/internal/localcloud/lambdaapi"
	"github.com/hydrant-dev/hydrant/internal/redrive"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
	"github.com/hydrant-dev/hydrant/internal/testkit/failuretest"
)

// fixableConsumer fails records whose data holds "poison" until it is fixed, and keeps the
// data of every record it processed, in order.
type fixableConsumer struct {
	mu        sync.Mutex
	fixed     bool
	processed []string
	stream    string // the stream its event source mapping reads
}

func (c *fixableConsumer) Invoke(_ context.Context, _ string, payload []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ev events.KinesisEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	var failures []map[string]string
	for _, r := range ev.Records {
		if !c.fixed && bytes.Contains(r.Kinesis.Data, []byte("poison")) {
			failures = append(failures, map[string]string{"itemIdentifier": r.Kinesis.SequenceNumber})
			break
		}
		c.processed = append(c.processed, string(r.Kinesis.Data))
	}
	return json.Marshal(map[string]any{"batchItemFailures": failures})
}

func (c *fixableConsumer) Exists(name string) (string, bool) {
	return "arn:aws:lambda:us-east-1:000000000000:function:" + name, name == "orders-consumer"
}

// EventSourceMappings is its one mapping, on its stream: redrive hands a function only the
// records of the streams it consumes.
func (c *fixableConsumer) EventSourceMappings(_, source string) []lambdaapi.Mapping {
	if source != "" && source != c.stream {
		return nil
	}
	return []lambdaapi.Mapping{{UUID: "m-orders", EventSourceArn: c.stream, State: "Enabled",
		FunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:orders-consumer"}}
}

// The journey end to end: records hydrated by `hydrant hydrate` sit in a team's queue; the
// consumer still fails the poison one, so `hydrant redrive` exits 3 and leaves it (and the
// record after it) in the queue; once the consumer is fixed the same command exits 0 and the
// consumer has processed every record once, in order.
func TestRedriveCommandFromHydrateToFixedConsumer(t *testing.T) {
	ep := emulators.Get(t)
	b := failuretest.PutKinesis(t, ep, [][]byte{[]byte(`{"order":1}`), []byte(`{"order":2,"poison":true}`), []byte(`{"order":3}`)})
	// The team's queue, subscribed to the stream's events on a bus of the local EventBridge.
	ctx := context.Background()
	sqsc, ebc := ep.SQSClient(), ep.EventBridgeClient()
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(failuretest.UniqueName("orders-team"))})
	if err != nil {
		t.Fatal(err)
	}
	url := aws.ToString(q.QueueUrl)
	attrs, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	bus := failuretest.UniqueName("hydrant")
	if _, err := ebc.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		t.Fatal(err)
	}
	pattern := fmt.Sprintf(`{"detail-type":["RecordHydrated"],"detail":{"streamArn":[%q]}}`, b.StreamARN)
	if _, err := ebc.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("orders-team"), EventBusName: aws.String(bus), EventPattern: aws.String(pattern)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ebc.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("orders-team"), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)])}}}); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "", "hydrate", "--failure", failureFile(t, b.FailureJSON(0, 2)), "--publish", "--bus", bus); code != 0 {
		t.Fatalf("hydrate --publish: exit %d: %s", code, stderr)
	}
	waitQueueDepth(t, sqsc, url, 3)

	fn := &fixableConsumer{stream: b.StreamARN}
	srv := httptest.NewServer(lambdaapi.New(fn, nil))
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", srv.URL)
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the default journal's directory

	redriveJSON := func(wantCode int) redrive.Report {
		t.Helper()
		code, stdout, stderr := runCLI(t, "", "redrive", "--from", url, "--to", "function:orders-consumer", "--stream", b.StreamARN, "--json")
		if code != wantCode {
			t.Fatalf("redrive: exit %d, want %d; stderr:\n%s\nstdout:\n%s", code, wantCode, stderr, stdout)
		}
		if !strings.Contains(stderr, "journal ") || !strings.Contains(stderr, "records done") {
			t.Errorf("stderr shows no journal or progress line:\n%s", stderr)
		}
		var rep redrive.Report
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("--json report: %v\n%s", err, stdout)
		}
		return rep
	}
	rep := redriveJSON(redriveFailedAgain)
	if s := rep.Streams[0]; s.Read != 3 || s.Redriven != 1 || s.FailedAgain != 1 || s.Held != 1 {
		t.Errorf("first run: %+v, want 3 read, 1 redriven, 1 failed again, 1 held", *s)
	}
	if len(rep.Failures) != 2 || rep.Failures[0].SequenceNumber != b.Seqs[1] {
		t.Errorf("failures %+v, want the poison record first", rep.Failures)
	}
	fn.fixed = true
	rep = redriveJSON(redriveOK)
	if s := rep.Streams[0]; s.Read != 2 || s.Redriven != 2 {
		t.Errorf("second run: %+v, want the 2 records that stayed", *s)
	}
	want := fmt.Sprint([]string{`{"order":1}`, `{"order":2,"poison":true}`, `{"order":3}`})
	if got := fmt.Sprint(fn.processed); got != want {
		t.Errorf("processed %s, want %s", got, want)
	}
	// Nothing is left, and a third run has nothing to do.
	if rep := redriveJSON(redriveOK); len(rep.Streams) != 0 {
		t.Errorf("third run: %+v", rep.Streams)
	}
}

// waitQueueDepth waits until the queue holds n messages (EventBridge delivers asynchronously).
func waitQueueDepth(t *testing.T, sqsc *sqs.Client, url string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := sqsc.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queue holds %d messages after 30 s, want %d", got, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
