//go:build integration

package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
	"github.com/hydrant-dev/hydrant/internal/testkit/failuretest"
)

// ddbConsumer fails batches holding the item whose pk is "poison".
type ddbConsumer struct {
	mu      sync.Mutex
	batches [][]string
	records [][]events.DynamoDBEventRecord
}

func (c *ddbConsumer) fn(_ context.Context, payload []byte) ([]byte, error) {
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	var keys []string
	poison := false
	for _, r := range ev.Records {
		k := r.Change.Keys["pk"].String()
		keys = append(keys, k)
		poison = poison || k == "poison"
	}
	c.mu.Lock()
	c.batches = append(c.batches, keys)
	c.records = append(c.records, ev.Records)
	c.mu.Unlock()
	if poison {
		return nil, errors.New("poison item")
	}
	return nil, nil
}

// putItems creates a table with a stream, puts items, and returns the
// stream's ARN and (only) shard.
func putItems(t *testing.T, ep emulators.Endpoints, keys ...string) (streamARN, shardID string) {
	t.Helper()
	ctx := context.Background()
	dc := ep.DynamoDBClient()
	table := failuretest.UniqueName("accounts")
	out, err := dc.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		StreamSpecification:  &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewAndOldImages},
	})
	if err != nil {
		t.Fatalf("create table: %v", err)
	}
	for _, k := range keys {
		if _, err := dc.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]ddbtypes.AttributeValue{
			"pk": &ddbtypes.AttributeValueMemberS{Value: k}, "n": &ddbtypes.AttributeValueMemberN{Value: "42"},
		}}); err != nil {
			t.Fatalf("put item: %v", err)
		}
	}
	streamARN = aws.ToString(out.TableDescription.LatestStreamArn)
	desc, err := ep.DynamoDBStreamsClient().DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(streamARN)})
	if err != nil || len(desc.StreamDescription.Shards) != 1 {
		t.Fatalf("describe stream: %v (want 1 shard)", err)
	}
	return streamARN, aws.ToString(desc.StreamDescription.Shards[0].ShardId)
}

// DynamoDB Streams follow the same rules as Kinesis: bisection isolates the
// poison item; its on-failure record carries DDBStreamBatchInfo with
// arrival times without milliseconds, to SQS and (with the payload) to S3.
func TestDynamoDBBisection(t *testing.T) {
	t.Parallel()
	for _, dest := range []string{"sqs", "s3"} {
		t.Run(dest, func(t *testing.T) {
			t.Parallel()
			ep := emulators.Get(t)
			streamARN, shardID := putItems(t, ep, "a", "b", "poison", "d")
			var destARN, queue, bucket string
			if dest == "sqs" {
				queue, destARN = newQueue(t, ep, nil)
			} else {
				bucket = newBucket(t, ep)
				destARN = "arn:aws:s3:::" + bucket
			}
			c := &ddbConsumer{}
			m := newMappings(t, ep, Options{})
			mp, err := m.Add(context.Background(), Config{
				EventSourceARN: streamARN, FunctionARN: testFunctionARN, StartingPosition: StartingPositionTrimHorizon,
				BatchSize: 10, MaximumBatchingWindowInSeconds: 1, MaximumRetryAttempts: new(1), BisectBatchOnFunctionError: true,
				DestinationConfig: &DestinationConfig{OnFailure: &OnFailure{DestinationARN: destARN}},
			}, c.fn)
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, 15*time.Second, "the on-failure record", func() bool { return mp.Stats().BatchesToDestination == 1 })
			settle(t, mp, 6)
			want := [][]string{{"a", "b", "poison", "d"}, {"a", "b"}, {"poison", "d"}, {"poison"}, {"poison"}, {"d"}}
			c.mu.Lock()
			got, first := c.batches, c.records[0]
			c.mu.Unlock()
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("invocations\n got %v\nwant %v", got, want)
			}
			for _, r := range first {
				if r.EventSource != "aws:dynamodb" || r.EventVersion != "1.1" || r.EventName != "INSERT" || r.EventSourceArn != streamARN ||
					r.AWSRegion != "ddblocal" || r.EventID == "" || r.Change.SequenceNumber == "" || r.Change.StreamViewType != "NEW_AND_OLD_IMAGES" ||
					r.Change.NewImage["n"].Number() != "42" || r.Change.SizeBytes == 0 || r.Change.ApproximateCreationDateTime.IsZero() {
					t.Errorf("event record = %+v", r)
				}
			}
			poison := first[2]

			var body []byte
			var rec *failure.Record
			if dest == "sqs" {
				msgs := receiveAll(t, ep, queue, 1, 5*time.Second)
				body = []byte(aws.ToString(msgs[0].Body))
				msg, err := failure.Parse(body)
				if err != nil {
					t.Fatalf("failure.Parse: %v\n%s", err, body)
				}
				rec = msg.Record
			} else {
				ctx := context.Background()
				list, err := ep.S3Client().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
				if err != nil || len(list.Contents) != 1 {
					t.Fatalf("list objects: %v, %d objects, want 1", err, len(list.Contents))
				}
				key := aws.ToString(list.Contents[0].Key)
				if prefix := "aws/lambda/" + mp.UUID() + "/" + shardID + "/"; !strings.HasPrefix(key, prefix) {
					t.Errorf("key %q, want prefix %q", key, prefix)
				}
				obj, err := ep.S3Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: list.Contents[0].Key})
				if err != nil {
					t.Fatal(err)
				}
				body, err = io.ReadAll(obj.Body)
				obj.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				if rec, err = failure.ParseObject(body); err != nil {
					t.Fatalf("failure.ParseObject: %v\n%s", err, body)
				}
				var payload []events.DynamoDBEventRecord
				for _, raw := range rec.Payload.Records {
					var r events.DynamoDBEventRecord
					if err := json.Unmarshal(raw, &r); err != nil {
						t.Fatal(err)
					}
					payload = append(payload, r)
				}
				if len(payload) != 1 || payload[0].Change.Keys["pk"].String() != "poison" || payload[0].Change.SequenceNumber != poison.Change.SequenceNumber {
					t.Errorf("payload = %+v, want the poison item's record alone", payload)
				}
			}
			bi := rec.DDBStreamBatchInfo
			if bi == nil || rec.KinesisBatchInfo != nil {
				t.Fatalf("want DDBStreamBatchInfo only: %s", body)
			}
			created := poison.Change.ApproximateCreationDateTime.UTC().Truncate(time.Second)
			if bi.ShardID != shardID || bi.StartSequenceNumber != poison.Change.SequenceNumber || bi.EndSequenceNumber != poison.Change.SequenceNumber ||
				bi.BatchSize != 1 || bi.StreamARN != streamARN || !bi.ApproximateArrivalOfFirstRecord.Equal(created) || !bi.ApproximateArrivalOfLastRecord.Equal(created) {
				t.Errorf("DDBStreamBatchInfo = %+v, want the poison record (%s, created %v)", bi, poison.Change.SequenceNumber, created)
			}
			if rec.RequestContext.Condition != ConditionRetryAttemptsExhausted || rec.RequestContext.ApproximateInvokeCount != 2 ||
				rec.ResponseContext == nil || rec.ResponseContext.FunctionError != "Unhandled" {
				t.Errorf("record = %+v %+v", rec.RequestContext, rec.ResponseContext)
			}
			checkWireFormats(t, body, "DDBStreamBatchInfo", secondsTime, "Unhandled")
		})
	}
}
