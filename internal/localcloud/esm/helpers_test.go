//go:build integration

package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
	"github.com/hydrant-dev/hydrant/internal/testkit/failuretest"
)

func clientsFor(ep emulators.Endpoints) Clients {
	return Clients{Kinesis: ep.KinesisClient(), DynamoDBStreams: ep.DynamoDBStreamsClient(),
		SQS: ep.SQSClient(), SNS: ep.SNSClient(), S3: ep.S3Client()}
}

// newMappings returns a manager with fast polling, closed when the test ends.
func newMappings(t *testing.T, ep emulators.Endpoints, o Options) *Mappings {
	t.Helper()
	if o.PollInterval == 0 {
		o.PollInterval = 50 * time.Millisecond
	}
	if o.RetryDelay == 0 {
		o.RetryDelay = 10 * time.Millisecond
	}
	if o.ShardDiscoveryInterval == 0 {
		o.ShardDiscoveryInterval = 200 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	m := New(clientsFor(ep), o)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

// consumer is an in-process function that records each invocation's
// records' data and fails (or reports) batches holding a poison record.
type consumer struct {
	mu       sync.Mutex
	batches  [][]string // data of each invocation's records
	payloads [][]byte
	poison   string
	// report: answer batchItemFailures instead of failing.
	report bool
}

func (c *consumer) kinesis(_ context.Context, payload []byte) ([]byte, error) {
	var ev events.KinesisEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	var data []string
	var failed []events.KinesisBatchItemFailure
	for _, r := range ev.Records {
		data = append(data, string(r.Kinesis.Data))
		if string(r.Kinesis.Data) == c.poison {
			failed = append(failed, events.KinesisBatchItemFailure{ItemIdentifier: r.Kinesis.SequenceNumber})
		}
	}
	c.record(data, payload)
	if len(failed) == 0 {
		return json.Marshal(events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{}})
	}
	if c.report {
		return json.Marshal(events.KinesisEventResponse{BatchItemFailures: failed})
	}
	return nil, errors.New("poison record " + c.poison)
}

func (c *consumer) record(data []string, payload []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches = append(c.batches, data)
	c.payloads = append(c.payloads, payload)
}

func (c *consumer) invoked() [][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.batches)
}

func (c *consumer) firstPayload() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.payloads[0]
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settle waits for at least want invocations, then for the mapping to catch up with its source:
// every poller idle, after a read that found nothing, so that no invocation is still to come.
func settle(t *testing.T, mp *Mapping, want int64) {
	t.Helper()
	waitFor(t, 20*time.Second, fmt.Sprintf("%d invocations", want), func() bool { return mp.Stats().Invocations >= want })
	polls := mp.Stats().EmptyPolls
	waitFor(t, 20*time.Second, "the mapping to catch up with its source", func() bool {
		st := mp.Stats()
		return st.BusyPollers == 0 && st.EmptyPolls > polls
	})
}

func newQueue(t *testing.T, ep emulators.Endpoints, attrs map[string]string) (url, arn string) {
	t.Helper()
	ctx := context.Background()
	c := ep.SQSClient()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(failuretest.UniqueName("q")), Attributes: attrs})
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("queue arn: %v", err)
	}
	return aws.ToString(out.QueueUrl), a.Attributes["QueueArn"]
}

// receiveAll reads messages from a queue until want arrived (or timeout),
// deleting them.
func receiveAll(t *testing.T, ep emulators.Endpoints, url string, want int, timeout time.Duration) []sqstypes.Message {
	t.Helper()
	c := ep.SQSClient()
	var got []sqstypes.Message
	waitFor(t, timeout, "messages in "+url, func() bool {
		out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		for _, m := range out.Messages {
			got = append(got, m)
			if _, err := c.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatalf("delete: %v", err)
			}
		}
		return len(got) >= want
	})
	return got
}

func newTopicToQueue(t *testing.T, ep emulators.Endpoints) (topicARN, queueURL string) {
	t.Helper()
	ctx := context.Background()
	url, qarn := newQueue(t, ep, nil)
	c := ep.SNSClient()
	topic, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(failuretest.UniqueName("topic"))})
	if err != nil {
		t.Fatalf("create topic: %v", err)
	}
	if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(qarn)}); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	return aws.ToString(topic.TopicArn), url
}

func newBucket(t *testing.T, ep emulators.Endpoints) string {
	t.Helper()
	name := strings.ToLower(failuretest.UniqueName("failures"))
	if _, err := ep.S3Client().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return name
}

func data(prefix string, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(prefix + itoa(i+1))
	}
	return out
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
