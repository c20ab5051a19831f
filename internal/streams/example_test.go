package streams_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/hydrant-dev/hydrant/internal/streams"
)

// Reading back the records of a batch an event source mapping gave up on: the range comes
// from the on-failure record's KinesisBatchInfo. (Compiled, not run: it needs a stream.)
func ExampleKinesisReader_Read() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	reader := streams.NewKinesisReader(kinesis.NewFromConfig(cfg), streams.Options{})
	batch := streams.Range{
		StreamARN:           "arn:aws:kinesis:eu-west-1:123456789012:stream/orders",
		ShardID:             "shardId-000000000003",
		StartSequenceNumber: "49656110238473859283742908321481338570271428305713430530",
		EndSequenceNumber:   "49656110238473859283742908321481338570271428305713430610",
		BatchSize:           100,
	}
	report, err := reader.Read(ctx, batch, func(r streams.Record) error {
		fmt.Println(r.SequenceNumber, len(r.Kinesis.Data), "bytes")
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range report.Missing {
		// Trimmed past the retention, or a deleted stream: said, never silently skipped.
		fmt.Println(m.Count, "records missing:", m.Reason)
	}
}

// A DynamoDB record of a Lambda event (as an S3 on-failure object carries it) becomes a Record
// with its keys and images in plain JSON.
func ExampleFromDynamoDBEventRecord() {
	r, err := streams.FromDynamoDBEventRecord(json.RawMessage(`{
		"eventID": "c81e728d9d4c2f636f067f89cc14862c",
		"eventName": "MODIFY",
		"dynamodb": {
			"ApproximateCreationDateTime": 1764338533,
			"Keys": {"userId": {"S": "u-42"}},
			"NewImage": {"userId": {"S": "u-42"}, "visits": {"N": "7"}, "tags": {"SS": ["new"]}},
			"SequenceNumber": "111100000000012345678901",
			"SizeBytes": 59,
			"StreamViewType": "NEW_IMAGE"
		}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	image, _ := json.Marshal(r.DynamoDB.NewImage)
	fmt.Println(r.SequenceNumber, r.DynamoDB.EventName, r.DynamoDB.Keys["userId"])
	fmt.Println(string(image))
	// Output:
	// 111100000000012345678901 MODIFY u-42
	// {"tags":["new"],"userId":"u-42","visits":7}
}
