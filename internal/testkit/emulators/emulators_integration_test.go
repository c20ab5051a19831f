//go:build integration

package emulators

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func TestMain(m *testing.M) { Main(m) }

// uniqueName keeps resources of concurrent tests and test binaries apart on shared emulators.
func uniqueName(t *testing.T) string {
	return fmt.Sprintf("emu-%s-%d", strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())), time.Now().UnixNano())
}

func TestKinesisClient(t *testing.T) {
	ctx := context.Background()
	c := Get(t).KinesisClient()
	name := uniqueName(t)
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatalf("CreateStream: %v", err)
	}
	// The waiter's default first delay is 10 s; kinesis-local activates a stream after 0.5 s.
	waiter := kinesis.NewStreamExistsWaiter(c, func(o *kinesis.StreamExistsWaiterOptions) { o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second })
	if err := waiter.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)}, 30*time.Second); err != nil {
		t.Fatalf("wait for stream %s: %v", name, err)
	}
	data := []byte{0, 1, 2, 0xfe, 0xff}
	put, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(name), PartitionKey: aws.String("pk"), Data: data})
	if err != nil {
		t.Fatalf("PutRecord: %v", err)
	}
	it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(name), ShardId: put.ShardId,
		ShardIteratorType: kintypes.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: put.SequenceNumber})
	if err != nil {
		t.Fatalf("GetShardIterator: %v", err)
	}
	recs, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil {
		t.Fatalf("GetRecords: %v", err)
	}
	if len(recs.Records) != 1 || !bytes.Equal(recs.Records[0].Data, data) || aws.ToString(recs.Records[0].SequenceNumber) != aws.ToString(put.SequenceNumber) {
		t.Fatalf("GetRecords = %+v, want the one record put (%x, seq %s)", recs.Records, data, aws.ToString(put.SequenceNumber))
	}
}

func TestDynamoDBAndStreamsClients(t *testing.T) {
	ctx := context.Background()
	e := Get(t)
	db, streams := e.DynamoDBClient(), e.DynamoDBStreamsClient()
	table := uniqueName(t)
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		StreamSpecification:  &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewAndOldImages},
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	item := map[string]ddbtypes.AttributeValue{
		"pk": &ddbtypes.AttributeValueMemberS{Value: "k1"},
		"n":  &ddbtypes.AttributeValueMemberN{Value: "12345678901234567890.5"},
	}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]ddbtypes.AttributeValue{"pk": item["pk"]}})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if n, ok := got.Item["n"].(*ddbtypes.AttributeValueMemberN); !ok || n.Value != "12345678901234567890.5" {
		t.Fatalf("GetItem n = %#v, want N 12345678901234567890.5", got.Item["n"])
	}

	list, err := streams.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatalf("ListStreams: %v", err)
	}
	if len(list.Streams) != 1 {
		t.Fatalf("ListStreams(%s) = %d streams, want 1", table, len(list.Streams))
	}
	desc, err := streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: list.Streams[0].StreamArn})
	if err != nil {
		t.Fatalf("DescribeStream: %v", err)
	}
	if len(desc.StreamDescription.Shards) == 0 {
		t.Fatal("DescribeStream: no shards")
	}
	it, err := streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: list.Streams[0].StreamArn,
		ShardId: desc.StreamDescription.Shards[0].ShardId, ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatalf("GetShardIterator: %v", err)
	}
	recs, err := streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil {
		t.Fatalf("GetRecords: %v", err)
	}
	if len(recs.Records) != 1 || recs.Records[0].EventName != streamtypes.OperationTypeInsert {
		t.Fatalf("GetRecords = %+v, want one INSERT", recs.Records)
	}
}

func TestSQSAndSNSClients(t *testing.T) {
	ctx := context.Background()
	e := Get(t)
	q, topics := e.SQSClient(), e.SNSClient()
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniqueName(t))})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: queue.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	topic, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(uniqueName(t))})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	if _, err := topics.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String(attrs.Attributes["QueueArn"]), Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	if _, err := topics.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String(`{"via":"sns"}`)}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: queue.QueueUrl, MessageBody: aws.String(`{"via":"sqs"}`)}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	got := map[string]bool{}
	for deadline := time.Now().Add(10 * time.Second); len(got) < 2 && time.Now().Before(deadline); {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		for _, m := range out.Messages {
			got[aws.ToString(m.Body)] = true
		}
	}
	if !got[`{"via":"sns"}`] || !got[`{"via":"sqs"}`] || len(got) != 2 {
		t.Fatalf("received %v, want the message sent and the one published through SNS", got)
	}
}

func TestS3Client(t *testing.T) {
	ctx := context.Background()
	c := Get(t).S3Client()
	bucket := uniqueName(t)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	body := bytes.Repeat([]byte{0, 0x80, 0xff}, 1000)
	key := "failures/shardId-000000000000/49680653306819635328809969963222522738673289702987005954 + x.json"
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read object: %v", err)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("GetObject returned %d bytes, not the %d put", len(got), len(body))
	}
}

func TestEventBridgeClient(t *testing.T) {
	ctx := context.Background()
	entry := ebtypes.PutEventsRequestEntry{Source: aws.String("hydrant"), DetailType: aws.String("RecordHydrated"), Detail: aws.String("{}")}

	t.Run("no endpoint", func(t *testing.T) {
		e := Get(t)
		e.EventBridge = ""
		_, err := e.EventBridgeClient().PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry}})
		if !errors.Is(err, ErrNoEventBridge) {
			t.Fatalf("PutEvents without an endpoint = %v, want ErrNoEventBridge", err)
		}
	})

	t.Run("endpoint", func(t *testing.T) {
		// A stand-in for the local EventBridge endpoint: shows the client goes to Endpoints.EventBridge.
		var target string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			target = r.Header.Get("X-Amz-Target")
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			_, _ = io.WriteString(w, `{"FailedEntryCount":0,"Entries":[{"EventId":"e-1"}]}`)
		}))
		defer srv.Close()
		e := Get(t)
		e.EventBridge = srv.URL
		out, err := e.EventBridgeClient().PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry}})
		if err != nil {
			t.Fatalf("PutEvents: %v", err)
		}
		if target != "AWSEvents.PutEvents" || len(out.Entries) != 1 || aws.ToString(out.Entries[0].EventId) != "e-1" {
			t.Fatalf("PutEvents reached target %q and returned %+v", target, out.Entries)
		}
	})
}

// TestStartStop exercises the path Main takes outside scripts/test: a set of its own, stopped
// afterwards with every process gone.
func TestStartStop(t *testing.T) {
	ctx := context.Background()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	set, err := Start(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = set.Stop(ctx)
		}
	}()
	if shared, _ := FromEnv(); set.Endpoints.Kinesis == shared.Kinesis {
		t.Fatalf("Start reused the shared Kinesis endpoint %s", shared.Kinesis)
	}
	if _, err := set.Endpoints.KinesisClient().ListStreams(ctx, &kinesis.ListStreamsInput{}); err != nil {
		t.Fatalf("ListStreams on the new set: %v", err)
	}
	pids, err := os.ReadFile(filepath.Join(set.stateDir, "pids"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"kinesis", "dynamodb", "goaws", "goawsguard", "s3"}
	if set.Endpoints.EventBridge != "" {
		want = append(want, "eventbridge")
	}
	want = append(want, "watcher") // stops the set if this test binary dies
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(string(pids)), "\n") {
		names = append(names, strings.Fields(line)[0])
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("pids file lists %v, want %v:\n%s", names, want, pids)
	}
	if _, err := set.Endpoints.EventBridgeClient().ListEventBuses(ctx, &eventbridge.ListEventBusesInput{}); set.Endpoints.EventBridge != "" && err != nil {
		t.Fatalf("ListEventBuses on the new set's EventBridge: %v", err)
	}
	// A second `up` on the running state dir prints the same exports without starting anything,
	// and `env` prints them again.
	exports, err := readFile(filepath.Join(set.stateDir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	if again, stderr, code := runScript(t, "up", "--state", set.stateDir); code != 0 || again != exports || !strings.Contains(stderr, "reusing") {
		t.Fatalf("second up: exit %d, stdout %q, stderr %q; want the same exports, reused", code, again, stderr)
	}
	if env, _, code := runScript(t, "env", "--state", set.stateDir); code != 0 || env != exports {
		t.Fatalf("env: exit %d, %q; want the exports", code, env)
	}

	if err := set.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	stopped = true
	// down is idempotent, even once the state dir is gone.
	if _, stderr, code := runScript(t, "down", "--state", set.stateDir); code != 0 {
		t.Errorf("second down: exit %d: %s", code, stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(pids)), "\n") {
		var name, start string
		var pid int
		if _, err := fmt.Sscan(line, &name, &pid, &start); err != nil {
			t.Fatalf("pids line %q: %v", line, err)
		}
		if running(pid, start) {
			t.Errorf("%s (pid %d) still running after Stop", name, pid)
		}
	}
	for _, u := range []string{set.Endpoints.Kinesis, set.Endpoints.DynamoDB, set.Endpoints.SQS, set.Endpoints.S3} {
		if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(u, "http://"), time.Second); err == nil {
			self := conn.LocalAddr().String() == conn.RemoteAddr().String()
			conn.Close()
			if self {
				// TCP simultaneous open: with no listener, a dial from an ephemeral port equal to
				// the target port connects to itself. That is a closed port, not a survivor.
				continue
			}
			ss, _ := exec.Command("ss", "-ltnp").CombinedOutput()
			t.Errorf("%s still accepts connections after Stop; listeners:\n%s", u, ss)
		}
	}
	if _, err := os.Stat(set.stateDir); !os.IsNotExist(err) {
		t.Errorf("state dir %s left behind (stat: %v)", set.stateDir, err)
	}
}

// running reports whether the process recorded as pid, started at start (field 22 of
// /proc/PID/stat, as the pids file records it), is still there: not gone, not replaced by a
// process that reused its PID, and not a zombie whose threads have all exited. A zombie main
// thread alone is not enough: the other threads of a killed JVM or Go process may still be
// exiting, and the last one closes the listening sockets (see exited in scripts/emulators).
func running(pid int, start string) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return false
	}
	// After the command name: field 3 (state) is fields[0], field 22 (start time) is fields[19].
	if fields := strings.Fields(string(stat[i+1:])); len(fields) < 20 || fields[19] != start {
		return false
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false
	}
	var zombie, alone bool
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		switch v = strings.TrimSpace(v); k {
		case "State":
			zombie = strings.HasPrefix(v, "Z")
		case "Threads":
			alone = v == "1"
		}
	}
	return !(zombie && alone)
}

func readFile(p string) (string, error) {
	b, err := os.ReadFile(p)
	return string(b), err
}
