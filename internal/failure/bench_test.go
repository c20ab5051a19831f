package failure

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"
)

// BenchmarkParse measures Parse on each intake shape, and on S3 on-failure
// objects as large as a batch gets (1,000 records of 1 KiB, 10,000 small
// records).
func BenchmarkParse(b *testing.B) {
	for _, file := range []string{
		"kinesis-sqs.json",
		"dynamodb-sqs.json",
		"kinesis-sns-envelope.json",
		"kinesis-sns-lambda-event.json",
		"sqs-lambda-message-sns-envelope.json",
		"s3-notification.json",
		"s3-test-event.json",
		"kinesis-s3-object.json",
	} {
		data := readTestdata(b, file)
		b.Run(strings.TrimSuffix(file, ".json"), func(b *testing.B) { benchParse(b, data) })
	}
	for _, size := range []struct{ records, dataBytes int }{{1000, 1024}, {10000, 16}} {
		data := largeKinesisObject(b, size.records, size.dataBytes)
		b.Run(fmt.Sprintf("kinesis-s3-object-%dx%dB", size.records, size.dataBytes), func(b *testing.B) { benchParse(b, data) })
	}
}

func benchParse(b *testing.B, data []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// largeKinesisObject builds an S3 on-failure object of n Kinesis records
// with dataBytes of data each, shaped like testdata/kinesis-s3-object.json.
func largeKinesisObject(b *testing.B, n, dataBytes int) []byte {
	b.Helper()
	start, _ := new(big.Int).SetString("49656710281519541963539395939497386316536497893463375874", 10)
	step, _ := new(big.Int).SetString("1208925819614629174706176", 10) // 2^80, as Kinesis sequence numbers step
	stream := "arn:aws:kinesis:us-east-1:111111111111:stream/orders"
	payload := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", dataBytes)))
	records := make([]map[string]any, n)
	seq := new(big.Int).Set(start)
	for i := range records {
		s := seq.String()
		records[i] = map[string]any{
			"kinesis": map[string]any{
				"kinesisSchemaVersion": "1.0", "partitionKey": fmt.Sprintf("pk-%d", i), "sequenceNumber": s,
				"data": payload, "approximateArrivalTimestamp": 1732796158.835,
			},
			"eventSource": "aws:kinesis", "eventVersion": "1.0", "eventID": "shardId-000000000001:" + s,
			"eventName": "aws:kinesis:record", "invokeIdentityArn": "arn:aws:iam::111111111111:role/r",
			"awsRegion": "us-east-1", "eventSourceARN": stream,
		}
		if i < n-1 {
			seq.Add(seq, step)
		}
	}
	obj := map[string]any{
		"KinesisBatchInfo": map[string]any{
			"shardId": "shardId-000000000001", "startSequenceNumber": start.String(), "endSequenceNumber": seq.String(),
			"approximateArrivalOfFirstRecord": "2024-11-28T12:15:58.835Z", "approximateArrivalOfLastRecord": "2024-11-28T12:16:00.835Z",
			"batchSize": n, "streamArn": stream,
		},
		"payload":         map[string]any{"Records": records},
		"requestContext":  map[string]any{"approximateInvokeCount": 2, "condition": "RetryAttemptsExhausted", "functionArn": "arn:aws:lambda:us-east-1:111111111111:function:f", "requestId": "r"},
		"responseContext": map[string]any{"executedVersion": "$LATEST", "functionError": "Unhandled", "statusCode": 200},
		"timestamp":       "2024-11-28T12:16:05.402Z", "version": "1.0",
	}
	data, err := json.Marshal(obj)
	if err != nil {
		b.Fatal(err)
	}
	if m, err := Parse(data); err != nil || len(m.Record.Payload.Records) != n {
		b.Fatalf("generated object does not parse: %v", err)
	}
	return data
}
