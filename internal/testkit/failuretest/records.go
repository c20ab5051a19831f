// Package failuretest writes real records to the emulators' streams and builds the on-failure
// records an event source mapping would write for them, in every intake shape (SQS body, SNS
// envelope, S3 on-failure object, S3 event notification). Tests of every layer that consumes
// failures use it, so they agree on what a failure looks like.
package failuretest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hydrant-dev/hydrant/internal/streams/dynamodbjson"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

// Must fails the test when fn fails, naming what was being done.
func Must(t testing.TB, what string, fn func() error) {
	t.Helper()
	if err := fn(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// UniqueName returns a name no other test uses (the emulators are shared by every test binary).
func UniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d-%06d", prefix, time.Now().UnixNano()%1e9, rand.IntN(1e6))
}

// KinesisBatch is records written to a one-shard stream, as a failed batch would hold them.
type KinesisBatch struct {
	StreamARN string
	ShardID   string
	Seqs      []string
	Data      [][]byte
	Keys      []string
	Arrivals  []time.Time
}

// PutKinesis writes data to a new one-shard stream, one record per element, in order.
func PutKinesis(t testing.TB, ep emulators.Endpoints, data [][]byte) KinesisBatch {
	t.Helper()
	ctx := context.Background()
	kc := ep.KinesisClient()
	name := UniqueName("orders")
	Must(t, "create stream", func() error {
		_, err := kc.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(1)})
		return err
	})
	// kinesis-local counts shards against its limit across every test binary sharing it.
	t.Cleanup(func() {
		_, _ = kc.DeleteStream(context.Background(), &kinesis.DeleteStreamInput{StreamName: aws.String(name), EnforceConsumerDeletion: aws.Bool(true)})
	})
	var desc *kinesis.DescribeStreamSummaryOutput
	deadline := time.Now().Add(20 * time.Second)
	for {
		var err error
		desc, err = kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if desc.StreamDescriptionSummary.StreamStatus == ktypes.StreamStatusActive {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s not active", name)
		}
		time.Sleep(100 * time.Millisecond)
	}
	b := KinesisBatch{StreamARN: aws.ToString(desc.StreamDescriptionSummary.StreamARN)}
	for start := 0; start < len(data); start += 500 {
		end := min(start+500, len(data))
		var entries []ktypes.PutRecordsRequestEntry
		for i := start; i < end; i++ {
			key := fmt.Sprintf("pk-%d", i)
			entries = append(entries, ktypes.PutRecordsRequestEntry{Data: data[i], PartitionKey: aws.String(key)})
			b.Keys = append(b.Keys, key)
		}
		out, err := kc.PutRecords(ctx, &kinesis.PutRecordsInput{StreamARN: aws.String(b.StreamARN), Records: entries})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Records {
			if r.ErrorCode != nil {
				t.Fatalf("put record: %s", aws.ToString(r.ErrorMessage))
			}
			b.Seqs = append(b.Seqs, aws.ToString(r.SequenceNumber))
			b.ShardID = aws.ToString(r.ShardId)
		}
	}
	b.Data = data
	// Arrival timestamps, as the Lambda event payload of an S3 on-failure object carries them.
	it, err := kc.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamARN: aws.String(b.StreamARN), ShardId: aws.String(b.ShardID),
		ShardIteratorType: ktypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	iter := it.ShardIterator
	for len(b.Arrivals) < len(data) && iter != nil {
		out, err := kc.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, StreamARN: aws.String(b.StreamARN)})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Records {
			b.Arrivals = append(b.Arrivals, aws.ToTime(r.ApproximateArrivalTimestamp))
		}
		iter = out.NextShardIterator
	}
	return b
}

// FailureJSON is the on-failure invocation record an ESM writes for records [from, to] of b.
func (b KinesisBatch) FailureJSON(from, to int) string {
	return fmt.Sprintf(`{"requestContext":{"requestId":"c9b8fa9f-5a7f-4e6f-9ab8-6a9b4a1e2b01","functionArn":"arn:aws:lambda:us-east-1:000000000000:function:consumer","condition":"RetryAttemptsExhausted","approximateInvokeCount":3},
"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},"version":"1.0","timestamp":"2026-11-28T10:00:00.021Z",
"KinesisBatchInfo":{"shardId":%q,"startSequenceNumber":%q,"endSequenceNumber":%q,"approximateArrivalOfFirstRecord":"2026-11-28T09:59:58.835Z","approximateArrivalOfLastRecord":"2026-11-28T09:59:59.580Z","batchSize":%d,"streamArn":%q}}`,
		b.ShardID, b.Seqs[from], b.Seqs[to], to-from+1, b.StreamARN)
}

// S3ObjectJSON is the S3 on-failure object for records [from, to]: the record plus its payload.
func (b KinesisBatch) S3ObjectJSON(t *testing.T, from, to int) string {
	t.Helper()
	var recs []events.KinesisEventRecord
	for i := from; i <= to; i++ {
		recs = append(recs, events.KinesisEventRecord{
			AwsRegion: "us-east-1", EventID: b.ShardID + ":" + b.Seqs[i], EventName: "aws:kinesis:record", EventSource: "aws:kinesis",
			EventSourceArn: b.StreamARN, EventVersion: "1.0", InvokeIdentityArn: "arn:aws:iam::000000000000:role/consumer",
			Kinesis: events.KinesisRecord{
				ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: b.Arrivals[i]}, Data: b.Data[i], KinesisSchemaVersion: "1.0",
				PartitionKey: b.Keys[i], SequenceNumber: b.Seqs[i],
			},
		})
	}
	payload, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		t.Fatal(err)
	}
	rec := b.FailureJSON(from, to)
	return rec[:len(rec)-1] + `,"payload":` + string(payload) + `}`
}

// SNSEnvelope is body as an SQS subscription of an SNS topic receives it without raw delivery.
func SNSEnvelope(body string) string {
	msg, _ := json.Marshal(body)
	return `{"Type":"Notification","MessageId":"5b9e1c3e-0d6a-5a34-a7a8-2c2b0a1f8e11","TopicArn":"arn:aws:sns:us-east-1:000000000000:hydrant-failures",` +
		`"Message":` + string(msg) + `,"Timestamp":"2026-11-28T10:00:00.100Z","SignatureVersion":"1","Signature":"c2ln","SigningCertURL":"https://sns.us-east-1.amazonaws.com/x.pem","UnsubscribeURL":"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"}`
}

// PutFailureObject stores an S3 on-failure object at AWS's key layout and returns the S3 event
// notification that announces it.
func PutFailureObject(t testing.TB, ep emulators.Endpoints, shardID, object string) string {
	t.Helper()
	ctx := context.Background()
	bucket := UniqueName("failures")
	Must(t, "create failure bucket", func() error {
		_, err := ep.S3Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
		return err
	})
	key := "aws/lambda/6b5b4a4e-0d3c-4c1a-9c55-1f2e3d4c5b6a/" + shardID + "/2026/11/28/2026-11-28T10.00.00-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	Must(t, "put failure object", func() error {
		_, err := ep.S3Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(object)})
		return err
	})
	encodedKey := strings.ReplaceAll(key, ":", "%3A")
	return fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2026-11-28T10:00:01.000Z","eventName":"ObjectCreated:Put",`+
		`"s3":{"s3SchemaVersion":"1.0","configurationId":"hydrant","bucket":{"name":%q,"arn":"arn:aws:s3:::%s"},"object":{"key":%q,"size":%d,"sequencer":"0055AED6DCD90281E5"}}}]}`,
		bucket, bucket, encodedKey, len(object))
}

// DynamoDBChanges is an INSERT, a MODIFY and a REMOVE of one item, with every attribute type.
type DynamoDBChanges struct {
	StreamARN string
	ShardID   string
	Seqs      []string
	Records   []streamtypes.Record
}

// WriteDynamoDB creates a table with a NEW_AND_OLD_IMAGES stream and inserts, modifies and
// removes one item holding every attribute type.
func WriteDynamoDB(t testing.TB, ep emulators.Endpoints) DynamoDBChanges {
	t.Helper()
	ctx := context.Background()
	dc := ep.DynamoDBClient()
	table := UniqueName("accounts")
	out, err := dc.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		StreamSpecification:  &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewAndOldImages},
	})
	if err != nil {
		t.Fatal(err)
	}
	item := map[string]ddbtypes.AttributeValue{
		"pk":    &ddbtypes.AttributeValueMemberS{Value: "acct-1"},
		"big":   &ddbtypes.AttributeValueMemberN{Value: "12345678901234567890123456789012345678"},
		"bin":   &ddbtypes.AttributeValueMemberB{Value: []byte{0, 1, 254, 255}},
		"ok":    &ddbtypes.AttributeValueMemberBOOL{Value: true},
		"none":  &ddbtypes.AttributeValueMemberNULL{Value: true},
		"tags":  &ddbtypes.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"nums":  &ddbtypes.AttributeValueMemberNS{Value: []string{"1", "2.5"}},
		"bins":  &ddbtypes.AttributeValueMemberBS{Value: [][]byte{{1}, {2}}},
		"list":  &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{&ddbtypes.AttributeValueMemberS{Value: "x"}, &ddbtypes.AttributeValueMemberN{Value: "3"}}},
		"props": &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{"city": &ddbtypes.AttributeValueMemberS{Value: "Oslo"}}},
	}
	key := map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "acct-1"}}
	Must(t, "put item", func() error {
		_, err := dc.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item})
		return err
	})
	Must(t, "update item", func() error {
		_, err := dc.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key,
			UpdateExpression: aws.String("SET ok = :f"), ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":f": &ddbtypes.AttributeValueMemberBOOL{Value: false}}})
		return err
	})
	Must(t, "delete item", func() error {
		_, err := dc.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key})
		return err
	})

	sc := ep.DynamoDBStreamsClient()
	c := DynamoDBChanges{StreamARN: aws.ToString(out.TableDescription.LatestStreamArn)}
	desc, err := sc.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(c.StreamARN)})
	if err != nil {
		t.Fatal(err)
	}
	c.ShardID = aws.ToString(desc.StreamDescription.Shards[0].ShardId)
	it, err := sc.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(c.StreamARN), ShardId: aws.String(c.ShardID),
		ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := sc.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs.Records {
		c.Seqs = append(c.Seqs, aws.ToString(r.Dynamodb.SequenceNumber))
	}
	c.Records = recs.Records
	if len(c.Seqs) != 3 {
		t.Fatalf("want 3 stream records, got %d", len(c.Seqs))
	}
	return c
}

// FailureJSON is the on-failure record for the three changes, with functionError null (the
// consumer reported batchItemFailures) and DynamoDB's timestamps without milliseconds.
func (c DynamoDBChanges) FailureJSON() string {
	return fmt.Sprintf(`{"requestContext":{"requestId":"0d2b5c6e-1f3a-4b5c-8d9e-0a1b2c3d4e5f","functionArn":"arn:aws:lambda:us-east-1:000000000000:function:accounts","condition":"RetryAttemptsExhausted","approximateInvokeCount":1},
"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":null},"version":"1.0","timestamp":"2026-11-28T10:00:00Z",
"DDBStreamBatchInfo":{"shardId":%q,"startSequenceNumber":%q,"endSequenceNumber":%q,"approximateArrivalOfFirstRecord":"2026-11-28T09:59:58Z","approximateArrivalOfLastRecord":"2026-11-28T09:59:59Z","batchSize":3,"streamArn":%q}}`,
		c.ShardID, c.Seqs[0], c.Seqs[2], c.StreamARN)
}

// S3ObjectJSON is the S3 on-failure object for the three changes, its payload in the Lambda
// DynamoDB event format.
func (c DynamoDBChanges) S3ObjectJSON(t *testing.T) string {
	t.Helper()
	var recs []events.DynamoDBEventRecord
	for _, r := range c.Records {
		recs = append(recs, events.DynamoDBEventRecord{
			AWSRegion: "ddblocal", EventID: aws.ToString(r.EventID), EventName: string(r.EventName), EventSource: "aws:dynamodb",
			EventVersion: "1.1", EventSourceArn: c.StreamARN,
			Change: events.DynamoDBStreamRecord{
				ApproximateCreationDateTime: events.SecondsEpochTime{Time: aws.ToTime(r.Dynamodb.ApproximateCreationDateTime)},
				Keys:                        dynamodbjson.LambdaItem(r.Dynamodb.Keys), NewImage: dynamodbjson.LambdaItem(r.Dynamodb.NewImage), OldImage: dynamodbjson.LambdaItem(r.Dynamodb.OldImage),
				SequenceNumber: aws.ToString(r.Dynamodb.SequenceNumber), SizeBytes: aws.ToInt64(r.Dynamodb.SizeBytes),
				StreamViewType: string(r.Dynamodb.StreamViewType),
			},
		})
	}
	payload, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		t.Fatal(err)
	}
	rec := c.FailureJSON()
	return rec[:len(rec)-1] + `,"payload":` + string(payload) + `}`
}
