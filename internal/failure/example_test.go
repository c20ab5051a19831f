package failure_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/hydrant-dev/hydrant/internal/failure"
)

// An SNS on-failure destination delivering to an SQS queue: the SQS body is
// the SNS envelope, whose Message is the invocation record.
func ExampleParse() {
	body, err := os.ReadFile("testdata/kinesis-sns-envelope.json")
	if err != nil {
		panic(err)
	}
	msg, err := failure.Parse(body)
	if err != nil {
		panic(err)
	}
	b := msg.Record.Batch()
	fmt.Println(msg.Destination, msg.Record.StreamType(), b.ShardID, b.BatchSize)
	fmt.Println(b.StartSequenceNumber, "…", b.EndSequenceNumber)
	fmt.Println("read from", b.Source.Stream())
	// Output:
	// sns kinesis shardId-000000000000 3
	// 49647238774018758449143790847474952390342044683891376130 … 49647238774018758449143790941112301748593148785147772930
	// read from arn:aws:kinesis:us-east-1:374852340823:stream/hydrate-kinesis-dlq-dev-KinesisStream-nrH7Hk48mKe2
}

// An S3 on-failure destination: the queue receives the bucket's event
// notification; each object it names holds the record and the batch.
func ExampleParseObject() {
	notification, err := os.ReadFile("testdata/s3-notification.json")
	if err != nil {
		panic(err)
	}
	msg, err := failure.Parse(notification)
	if err != nil {
		panic(err)
	}
	for _, o := range msg.Objects {
		fmt.Println(o.Bucket, o.Key)
		// The caller fetches s3://o.Bucket/o.Key; here, the same object from testdata.
		object, err := os.ReadFile("testdata/kinesis-s3-object.json")
		if err != nil {
			panic(err)
		}
		rec, err := failure.ParseObject(object)
		if err != nil {
			panic(err)
		}
		fmt.Println(rec.StreamType(), len(rec.Payload.Records), "records in the payload")
	}
	// Output:
	// hydrant-failures-111111111111 aws/lambda/3f2d8c5e-7a1b-4c9d-9e8f-0a1b2c3d4e5f/shardId-000000000001/2024/11/28/2024-11-28T12.16.05-9b2e4c7a-1d3f-4e5a-8b6c-7d8e9f0a1b2c
	// kinesis 3 records in the payload
}

func ExampleFieldError() {
	_, err := failure.Parse([]byte(`{"KinesisBatchInfo":{"shardId":"shardId-000000000000","startSequenceNumber":"1","endSequenceNumber":"abc","batchSize":1,"streamArn":"arn:aws:kinesis:us-east-1:123456789012:stream/s"}}`))
	var fe *failure.FieldError
	if errors.As(err, &fe) {
		fmt.Println(fe.Path)
		fmt.Println(err)
	}
	// Output:
	// KinesisBatchInfo.endSequenceNumber
	// KinesisBatchInfo.endSequenceNumber: must be a decimal sequence number, got "abc"
}
