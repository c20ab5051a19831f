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

func TestFromEnv(t *testing.T) {
	all := map[string]string{
		"AWS_ENDPOINT_URL_KINESIS":          "http://127.0.0.1:1",
		"AWS_ENDPOINT_URL_DYNAMODB":         "http://127.0.0.1:2",
		"AWS_ENDPOINT_URL_DYNAMODB_STREAMS": "http://127.0.0.1:3",
		"AWS_ENDPOINT_URL_SQS":              "http://127.0.0.1:4",
		"AWS_ENDPOINT_URL_SNS":              "http://127.0.0.1:5",
		"AWS_ENDPOINT_URL_S3":               "http://127.0.0.1:6",
	}
	full := Endpoints{Region: "eu-west-1", Kinesis: "http://127.0.0.1:1", DynamoDB: "http://127.0.0.1:2",
		DynamoDBStreams: "http://127.0.0.1:3", SQS: "http://127.0.0.1:4", SNS: "http://127.0.0.1:5", S3: "http://127.0.0.1:6"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_ENDPOINT_URL_EVENTBRIDGE": ""}
		for k, v := range all {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name   string
		env    map[string]string
		want   Endpoints
		wantOK bool
	}{
		{"all set", with(map[string]string{"AWS_REGION": "eu-west-1"}), full, true},
		{"default region variable", with(map[string]string{"AWS_DEFAULT_REGION": "eu-west-1"}), full, true},
		{"AWS_REGION wins", with(map[string]string{"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "ap-south-1"}), full, true},
		{"no region", with(nil), func() Endpoints { e := full; e.Region = DefaultRegion; return e }(), true},
		{"eventbridge optional but read", with(map[string]string{"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_EVENTBRIDGE": "http://127.0.0.1:7"}),
			func() Endpoints { e := full; e.EventBridge = "http://127.0.0.1:7"; return e }(), true},
		{"s3 missing", with(map[string]string{"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_S3": ""}),
			func() Endpoints { e := full; e.S3 = ""; return e }(), false},
		{"streams missing", with(map[string]string{"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": ""}),
			func() Endpoints { e := full; e.DynamoDBStreams = ""; return e }(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			got, ok := FromEnv()
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("FromEnv() = %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	good := Endpoints{Region: "us-east-1", Kinesis: "http://127.0.0.1:1", DynamoDB: "http://127.0.0.1:2",
		DynamoDBStreams: "http://127.0.0.1:3", SQS: "http://127.0.0.1:4", SNS: "https://localhost:5", S3: "http://127.0.0.1:6"}
	tests := []struct {
		name    string
		mutate  func(*Endpoints)
		wantErr string // substring; empty means valid
	}{
		{"valid", func(*Endpoints) {}, ""},
		{"valid with eventbridge", func(e *Endpoints) { e.EventBridge = "http://127.0.0.1:7" }, ""},
		{"empty region", func(e *Endpoints) { e.Region = "" }, "region is empty"},
		{"missing sqs", func(e *Endpoints) { e.SQS = "" }, "AWS_ENDPOINT_URL_SQS is empty"},
		{"no scheme", func(e *Endpoints) { e.Kinesis = "127.0.0.1:4568" }, "AWS_ENDPOINT_URL_KINESIS"},
		{"ftp scheme", func(e *Endpoints) { e.S3 = "ftp://127.0.0.1:6" }, "AWS_ENDPOINT_URL_S3"},
		{"unparsable", func(e *Endpoints) { e.EventBridge = "http://[::1" }, "AWS_ENDPOINT_URL_EVENTBRIDGE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := good
			tt.mutate(&e)
			err := e.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseExports(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    [][2]string
		wantErr string
	}{
		{"exports", "export A=http://x:1\n\nexport AWS_REGION=us-east-1\n", [][2]string{{"A", "http://x:1"}, {"AWS_REGION", "us-east-1"}}, ""},
		{"value with equals", "export K=a=b", [][2]string{{"K", "a=b"}}, ""},
		{"chatter", "installing\nexport A=1", nil, "line 1"},
		{"no equals", "export A", nil, "not NAME=VALUE"},
		{"quoted name", "export 'A'=1", nil, "not NAME=VALUE"},
		{"empty", "\n", nil, "no export lines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseExports([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseExports(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseExports(%q): %v", tt.in, err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("ParseExports(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestRepoRootFrom(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"go.mod", "scripts/emulators", "sub/go.mod"} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	deep := filepath.Join(root, "sub", "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	// sub/go.mod alone is not a root: it has no scripts/emulators next to it.
	if got, err := repoRootFrom(deep); err != nil || got != root {
		t.Errorf("repoRootFrom(%s) = %q, %v; want %q", deep, got, err, root)
	}
	if _, err := repoRootFrom(t.TempDir()); err == nil || !strings.Contains(err.Error(), "go.mod and scripts/emulators") {
		t.Errorf("repoRootFrom(empty dir) error = %v, want one naming go.mod and scripts/emulators", err)
	}
	// The real one: this package lives inside the repository.
	got, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if !isFile(filepath.Join(got, "scripts", "emulators")) {
		t.Errorf("RepoRoot() = %s, which holds no scripts/emulators", got)
	}
}

// fatalRecorder stands in for a testing.TB to see what Get reports.
type fatalRecorder struct {
	testing.TB
	msgs []string
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}

func TestGetFailsWithoutEndpoints(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_SQS", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	rec := &fatalRecorder{TB: t}
	Get(rec)
	if len(rec.msgs) == 0 || !strings.Contains(rec.msgs[0], "AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_S3") || !strings.Contains(rec.msgs[0], "emulators.Main") {
		t.Errorf("Get without endpoints reported %q, want the missing variables and how to start the emulators", rec.msgs)
	}
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
		var name string
		var pid int
		if _, err := fmt.Sscan(line, &name, &pid); err != nil {
			t.Fatalf("pids line %q: %v", line, err)
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			if !strings.Contains(string(stat), ") Z ") {
				t.Errorf("%s (pid %d) still running after Stop", name, pid)
			}
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
