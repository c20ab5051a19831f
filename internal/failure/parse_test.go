package failure

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// summary flattens a Message into the facts a caller acts on, so that each
// shape's expectations fit in one table row.
type summary struct {
	Destination    Destination
	StreamType     StreamType
	ShardID        string
	Start, End     string
	BatchSize      int
	StreamARN      string // as given
	ReadARN        string // the stream to read from
	Condition      string
	InvokeCount    int
	HasResponse    bool
	FunctionError  string
	Timestamp      string
	First, Last    string
	PayloadRecords int
	Objects        []ObjectRef
	TestEvent      *TestEvent
	SNSMessageID   string
	SNSTopicARN    string
	SQSMessageID   string
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func summarize(m Message) summary {
	s := summary{
		Destination:  m.Destination,
		Objects:      m.Objects,
		TestEvent:    m.TestEvent,
		SNSMessageID: m.SNSMessageID,
		SNSTopicARN:  m.SNSTopicARN,
		SQSMessageID: m.SQSMessageID,
	}
	if r := m.Record; r != nil {
		b := r.Batch()
		s.StreamType = r.StreamType()
		s.ShardID, s.Start, s.End, s.BatchSize = b.ShardID, b.StartSequenceNumber, b.EndSequenceNumber, b.BatchSize
		s.StreamARN, s.ReadARN = b.StreamARN, b.Source.Stream()
		s.Condition, s.InvokeCount = r.RequestContext.Condition, r.RequestContext.ApproximateInvokeCount
		if r.ResponseContext != nil {
			s.HasResponse, s.FunctionError = true, r.ResponseContext.FunctionError
		}
		s.Timestamp, s.First, s.Last = ts(r.Timestamp), ts(b.ApproximateArrivalOfFirstRecord), ts(b.ApproximateArrivalOfLastRecord)
		if r.Payload != nil {
			s.PayloadRecords = len(r.Payload.Records)
		}
	}
	return s
}

var (
	// The record of testdata/kinesis-sqs.json (AWS's documented example).
	docKinesis = summary{
		Destination: DestinationSQS, StreamType: StreamTypeKinesis, ShardID: "shardId-000000000001",
		Start:     "49601189658422359378836298521827638475320189012309704722",
		End:       "49601189658422359378836298522902373528957594348623495186",
		BatchSize: 500,
		StreamARN: "arn:aws:kinesis:us-east-2:123456789012:stream/mystream",
		ReadARN:   "arn:aws:kinesis:us-east-2:123456789012:stream/mystream",
		Condition: "RetryAttemptsExhausted", InvokeCount: 1, HasResponse: true, FunctionError: "Unhandled",
		Timestamp: "2019-11-14T00:38:06.021Z", First: "2019-11-14T00:38:04.835Z", Last: "2019-11-14T00:38:05.58Z",
	}
	// testdata/kinesis-sqs-partial-batch.json: functionError null.
	partialKinesis = summary{
		Destination: DestinationSQS, StreamType: StreamTypeKinesis, ShardID: "shardId-000000000000",
		Start:     "49647238774018758449143790847474952390342044683891376130",
		End:       "49647238774018758449143790941112301748593148785147772930",
		BatchSize: 3,
		StreamARN: "arn:aws:kinesis:us-east-1:374852340823:stream/hydrate-kinesis-dlq-dev-KinesisStream-nrH7Hk48mKe2",
		ReadARN:   "arn:aws:kinesis:us-east-1:374852340823:stream/hydrate-kinesis-dlq-dev-KinesisStream-nrH7Hk48mKe2",
		Condition: "RetryAttemptsExhausted", InvokeCount: 3, HasResponse: true, FunctionError: "",
		Timestamp: "2023-12-10T22:06:23.446Z", First: "2023-12-10T22:05:59.28Z", Last: "2023-12-10T22:06:19.196Z",
	}
	// testdata/kinesis-record-age-exceeded.json: no responseContext.
	ageKinesis = summary{
		Destination: DestinationSQS, StreamType: StreamTypeKinesis, ShardID: "shardId-000000000003",
		Start:     "49656710281519541963539395939497386316536497893463375874",
		End:       "49656710281519541963539395939497386316536497893463375874",
		BatchSize: 1,
		StreamARN: "arn:aws:kinesis:eu-west-1:111111111111:stream/orders",
		ReadARN:   "arn:aws:kinesis:eu-west-1:111111111111:stream/orders",
		Condition: "RecordAgeExceeded", InvokeCount: 1,
		Timestamp: "2024-10-12T13:14:13.512Z", First: "2024-10-12T13:12:58.001Z", Last: "2024-10-12T13:12:58.001Z",
	}
	// testdata/dynamodb-sqs.json: arrival times without milliseconds.
	ddbSQS = summary{
		Destination: DestinationSQS, StreamType: StreamTypeDynamoDB, ShardID: "shardId-00000001702248745067-29c36dc7",
		Start: "100000000053490326648", End: "100000000053490326648", BatchSize: 1,
		StreamARN: "arn:aws:dynamodb:us-east-1:374852340823:table/hydrate-kinesis-dlq-dev-DynamoDBTable-C15SFSF9AYOA/stream/2023-12-10T22:52:22.419",
		ReadARN:   "arn:aws:dynamodb:us-east-1:374852340823:table/hydrate-kinesis-dlq-dev-DynamoDBTable-C15SFSF9AYOA/stream/2023-12-10T22:52:22.419",
		Condition: "RetryAttemptsExhausted", InvokeCount: 4, HasResponse: true, FunctionError: "Unhandled",
		Timestamp: "2023-12-10T22:59:21.756Z", First: "2023-12-10T22:58:57Z", Last: "2023-12-10T22:58:57Z",
	}
	// testdata/dynamodb-local.json: DynamoDB Local's region and padded sequence numbers.
	ddbLocal = summary{
		Destination: DestinationSQS, StreamType: StreamTypeDynamoDB, ShardID: "shardId-00000001795893056493-973c0bbd",
		Start: "000000000000000000002", End: "000000000000000000011", BatchSize: 10,
		StreamARN: "arn:aws:dynamodb:ddblocal:000000000000:table/T/stream/2026-11-28T19:10:56.474",
		ReadARN:   "arn:aws:dynamodb:ddblocal:000000000000:table/T/stream/2026-11-28T19:10:56.474",
		Condition: "RetryAttemptsExhausted", InvokeCount: 3, HasResponse: true,
		Timestamp: "2026-11-28T19:11:02.118Z", First: "2026-11-28T19:10:00Z", Last: "2026-11-28T19:11:00Z",
	}
	notificationObject = ObjectRef{
		Bucket:    "hydrant-failures-111111111111",
		Key:       "aws/lambda/3f2d8c5e-7a1b-4c9d-9e8f-0a1b2c3d4e5f/shardId-000000000001/2024/11/28/2024-11-28T12.16.05-9b2e4c7a-1d3f-4e5a-8b6c-7d8e9f0a1b2c",
		Size:      2554,
		ETag:      "0b6e1f7c9d3a5e8f2c4b6a8d0e2f4a6c",
		Sequencer: "00674860A5D3B1C2E4",
		EventName: "ObjectCreated:Put",
		Region:    "us-east-1",
	}
)

func with(s summary, edit func(*summary)) summary {
	edit(&s)
	return s
}

func TestParseShapes(t *testing.T) {
	tests := []struct {
		file string
		want summary
	}{
		{"kinesis-sqs.json", docKinesis},
		{"kinesis-sqs-partial-batch.json", partialKinesis},
		{"kinesis-record-age-exceeded.json", ageKinesis},
		{"kinesis-efo-consumer.json", with(docKinesis, func(s *summary) {
			s.StreamARN = "arn:aws:kinesis:us-east-2:123456789012:stream/mystream/consumer/hydrant-efo:1732800934"
		})},
		{"kinesis-direct-no-millis.json", with(docKinesis, func(s *summary) {
			s.Timestamp, s.First, s.Last = "2019-11-14T00:38:06Z", "2019-11-14T00:38:04Z", "2019-11-14T00:38:05Z"
		})},
		{"dynamodb-sqs.json", ddbSQS},
		{"dynamodb-local.json", ddbLocal},
		// SNS without raw delivery: the envelope; Lambda's SNS event.
		{"kinesis-sns-envelope.json", with(partialKinesis, func(s *summary) {
			s.Destination = DestinationSNS
			s.SNSMessageID = "95df01b4-ee98-5cb9-9903-4c221d41eb5e"
			s.SNSTopicARN = "arn:aws:sns:us-east-1:374852340823:hydrate-kinesis-dlq-dev-onfailure"
		})},
		{"dynamodb-sns-envelope-goaws.json", with(ddbLocal, func(s *summary) {
			s.Destination = DestinationSNS
			s.SNSMessageID = "3a6f1c2e-8d9b-4a7e-b5c4-1f2e3d4c5b6a"
			s.SNSTopicARN = "arn:aws:sns:us-east-1:000000000000:hydrant-onfailure"
		})},
		{"kinesis-sns-lambda-event.json", with(docKinesis, func(s *summary) {
			s.Destination = DestinationSNS
			s.SNSMessageID = "95df01b4-ee98-5cb9-9903-4c221d41eb5e"
			s.SNSTopicARN = "arn:aws:sns:us-east-1:374852340823:hydrate-kinesis-dlq-dev-onfailure"
		})},
		// S3 on-failure objects given directly.
		{"kinesis-s3-object.json", summary{
			Destination: DestinationS3, StreamType: StreamTypeKinesis, ShardID: "shardId-000000000001",
			Start:     "49656710281519541963539395939497386316536497893463375874",
			End:       "49656710281519541963539395939499804168175727151812788226",
			BatchSize: 3,
			StreamARN: "arn:aws:kinesis:us-east-1:111111111111:stream/orders",
			ReadARN:   "arn:aws:kinesis:us-east-1:111111111111:stream/orders",
			Condition: "RetryAttemptsExhausted", InvokeCount: 2, HasResponse: true, FunctionError: "Unhandled",
			Timestamp: "2024-11-28T12:16:05.402Z", First: "2024-11-28T12:15:58.835Z", Last: "2024-11-28T12:16:00.835Z",
			PayloadRecords: 3,
		}},
		{"dynamodb-s3-object.json", summary{
			Destination: DestinationS3, StreamType: StreamTypeDynamoDB, ShardID: "shardId-00000001732791765067-5e1a9c3d",
			Start: "1100000000091523452119", End: "1300000000091523452121", BatchSize: 3,
			StreamARN: "arn:aws:dynamodb:us-east-1:111111111111:table/orders/stream/2024-11-28T11:02:45.118",
			ReadARN:   "arn:aws:dynamodb:us-east-1:111111111111:table/orders/stream/2024-11-28T11:02:45.118",
			Condition: "RetryAttemptsExhausted", InvokeCount: 1, HasResponse: true, FunctionError: "Unhandled",
			Timestamp: "2024-11-28T12:16:03.977Z", First: "2024-11-28T12:15:58Z", Last: "2024-11-28T12:16:00Z",
			PayloadRecords: 3,
		}},
		// S3 event notifications pointing at on-failure objects.
		{"s3-notification.json", summary{Destination: DestinationS3, Objects: []ObjectRef{notificationObject}}},
		{"s3-notification-encoded-key.json", summary{Destination: DestinationS3, Objects: []ObjectRef{
			{
				Bucket:    "hydrant-failures-111111111111",
				Key:       "aws/lambda/3f2d8c5e-7a1b-4c9d-9e8f-0a1b2c3d4e5f/shardId-000000000001/2024/11/28/manual replay (copy):1.json",
				Size:      2048,
				VersionID: "096fKKXTRTtl3on89fVO.nfljtsv6qko",
				ETag:      "0b6e1f7c9d3a5e8f2c4b6a8d0e2f4a6c", Sequencer: "00674860A5D3B1C2E4",
				EventName: "ObjectCreated:Put", Region: "us-east-1",
			},
			{
				Bucket: "hydrant-failures-111111111111",
				Key:    "aws/lambda/3f2d8c5e-7a1b-4c9d-9e8f-0a1b2c3d4e5f/shardId-000000000002/2024/11/28/café+1",
				Size:   512,
				ETag:   "0b6e1f7c9d3a5e8f2c4b6a8d0e2f4a6c", Sequencer: "00674860A5D3B1C2E4",
				EventName: "ObjectCreated:CompleteMultipartUpload", Region: "us-east-1",
			},
		}}},
		{"s3-notification-via-sns-envelope.json", summary{
			Destination: DestinationS3, Objects: []ObjectRef{notificationObject},
			SNSMessageID: "b1946ac9-2fc0-5c3a-9d1e-8f7a6b5c4d3e",
			SNSTopicARN:  "arn:aws:sns:us-east-1:111111111111:hydrant-failure-objects",
		}},
		{"s3-test-event.json", summary{Destination: DestinationS3, TestEvent: &TestEvent{
			Service: "Amazon S3", Event: "s3:TestEvent", Bucket: "hydrant-failures-111111111111",
			Time: "2024-11-28T12:00:02.089Z", RequestID: "5582815E1AEA5ADF",
			HostID: "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
		}}},
		// SQS message wrappers.
		{"sqs-lambda-message-sns-envelope.json", with(partialKinesis, func(s *summary) {
			s.Destination = DestinationSNS
			s.SNSMessageID = "95df01b4-ee98-5cb9-9903-4c221d41eb5e"
			s.SNSTopicARN = "arn:aws:sns:us-east-1:374852340823:hydrate-kinesis-dlq-dev-onfailure"
			s.SQSMessageID = "059f36b4-87a3-44ab-83d2-661975830a7d"
		})},
		{"sqs-lambda-event.json", with(ddbSQS, func(s *summary) { s.SQSMessageID = "2e1424d4-f796-459a-8184-9c92662be6da" })},
		{"sqs-receive-message.json", with(ageKinesis, func(s *summary) { s.SQSMessageID = "d6790f8d-d575-4759-afdd-2d1ae4a4d5b6" })},
	}
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			m, err := Parse(readTestdata(t, tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := summarize(m); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%s)\n got %+v\nwant %+v", tt.file, got, tt.want)
			}
		})
	}
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			t.Errorf("testdata file %s has no row in TestParseShapes", f)
		}
	}
}

// TestParseRecordFields checks every field of a Record against the
// documented AWS example it was parsed from.
func TestParseRecordFields(t *testing.T) {
	m, err := Parse(readTestdata(t, "kinesis-efo-consumer.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Record{
		Version:   "1.0",
		Timestamp: time.Date(2019, 11, 14, 0, 38, 6, 21e6, time.UTC),
		RequestContext: RequestContext{
			RequestID:              "c9b8fa9f-5a7f-xmpl-af9c-0c604cde93a5",
			FunctionARN:            "arn:aws:lambda:us-east-2:123456789012:function:myfunction",
			Condition:              "RetryAttemptsExhausted",
			ApproximateInvokeCount: 1,
		},
		ResponseContext: &ResponseContext{StatusCode: 200, ExecutedVersion: "$LATEST", FunctionError: "Unhandled"},
		KinesisBatchInfo: &BatchInfo{
			ShardID:                         "shardId-000000000001",
			StartSequenceNumber:             "49601189658422359378836298521827638475320189012309704722",
			EndSequenceNumber:               "49601189658422359378836298522902373528957594348623495186",
			ApproximateArrivalOfFirstRecord: time.Date(2019, 11, 14, 0, 38, 4, 835e6, time.UTC),
			ApproximateArrivalOfLastRecord:  time.Date(2019, 11, 14, 0, 38, 5, 580e6, time.UTC),
			BatchSize:                       500,
			StreamARN:                       "arn:aws:kinesis:us-east-2:123456789012:stream/mystream/consumer/hydrant-efo:1732800934",
			Source: StreamARN{
				Partition: "aws", Region: "us-east-2", AccountID: "123456789012", Type: StreamTypeKinesis,
				StreamName: "mystream", ConsumerName: "hydrant-efo", ConsumerCreationTimestamp: "1732800934",
			},
		},
	}
	if !reflect.DeepEqual(m.Record, want) {
		t.Errorf("record\n got %+v\nwant %+v", m.Record, want)
	}
	if m.Record.KinesisBatchInfo.Source.Stream() != "arn:aws:kinesis:us-east-2:123456789012:stream/mystream" {
		t.Errorf("stream to read = %q", m.Record.KinesisBatchInfo.Source.Stream())
	}
}

// TestRecordJSONRoundTrip checks that a parsed Record marshals back to the
// wire shape and parses to the same Record (the record travels on in
// events and logs).
func TestRecordJSONRoundTrip(t *testing.T) {
	for _, file := range []string{"kinesis-sqs.json", "kinesis-record-age-exceeded.json", "dynamodb-local.json", "kinesis-s3-object.json", "dynamodb-s3-object.json"} {
		t.Run(file, func(t *testing.T) {
			first, err := Parse(readTestdata(t, file))
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(first.Record)
			if err != nil {
				t.Fatal(err)
			}
			second, err := Parse(b)
			if err != nil {
				t.Fatalf("re-parse %s: %v", b, err)
			}
			// Marshalling compacts the raw payload records; compare them compacted.
			if first.Record.Payload != nil {
				for i, raw := range first.Record.Payload.Records {
					var buf bytes.Buffer
					if err := json.Compact(&buf, raw); err != nil {
						t.Fatal(err)
					}
					first.Record.Payload.Records[i] = buf.Bytes()
				}
			}
			if !reflect.DeepEqual(first, second) {
				t.Errorf("round trip changed the message\nfirst  %+v\nsecond %+v", first, second)
			}
			if first.Record.ResponseContext == nil && strings.Contains(string(b), "responseContext") {
				t.Errorf("absent responseContext came back as %s", b)
			}
		})
	}
}

func TestParseObject(t *testing.T) {
	r, err := ParseObject(readTestdata(t, "kinesis-s3-object.json"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := r.Payload.KinesisRecords()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("got %d Kinesis records, want 3", len(recs))
	}
	for i, rec := range recs {
		var data struct {
			OrderID string `json:"orderId"`
			Amount  int    `json:"amount"`
		}
		if err := json.Unmarshal(rec.Kinesis.Data, &data); err != nil {
			t.Fatalf("record %d data %q: %v", i, rec.Kinesis.Data, err)
		}
		wantID := []string{"o-1001", "o-1002", "o-1003"}[i]
		if data.OrderID != wantID || data.Amount != 42+i || rec.Kinesis.PartitionKey != wantID {
			t.Errorf("record %d: data %+v, partition key %q", i, data, rec.Kinesis.PartitionKey)
		}
		if rec.EventID != "shardId-000000000001:"+rec.Kinesis.SequenceNumber {
			t.Errorf("record %d: eventID %q does not match sequence %q", i, rec.EventID, rec.Kinesis.SequenceNumber)
		}
		wantArrival := time.Date(2024, 11, 28, 12, 15, 58+i, 835e6, time.UTC)
		if d := rec.Kinesis.ApproximateArrivalTimestamp.Sub(wantArrival); d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("record %d: arrival %v, want %v", i, rec.Kinesis.ApproximateArrivalTimestamp.UTC(), wantArrival)
		}
	}

	d, err := ParseObject(readTestdata(t, "dynamodb-s3-object.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, raw := range d.Payload.Records {
		var rec struct {
			EventName string `json:"eventName"`
		}
		if err := json.Unmarshal(raw, &rec); err != nil {
			t.Fatal(err)
		}
		names = append(names, rec.EventName)
	}
	if want := []string{"INSERT", "MODIFY", "REMOVE"}; !reflect.DeepEqual(names, want) {
		t.Errorf("DynamoDB payload event names %v, want %v", names, want)
	}

	// An object is a record, not an envelope.
	if _, err := ParseObject(readTestdata(t, "kinesis-sns-envelope.json")); err == nil {
		t.Error("ParseObject accepted an SNS envelope")
	}
	// Without a payload it is still a record (the batch is read back from the stream).
	if r, err := ParseObject(readTestdata(t, "kinesis-sqs.json")); err != nil || r.Payload != nil {
		t.Errorf("ParseObject(record without payload) = %+v, %v", r, err)
	}
}

func TestKinesisRecordsNamesTheBadRecord(t *testing.T) {
	p := &Payload{Records: []json.RawMessage{
		json.RawMessage(`{"kinesis":{"sequenceNumber":"1","data":"aGVsbG8="}}`),
		json.RawMessage(`{"kinesis":{"sequenceNumber":"2","data":"not base64!"}}`),
	}}
	_, err := p.KinesisRecords()
	fe := asFieldError(t, err)
	if fe.Path != "payload.Records[1]" {
		t.Errorf("path %q, want payload.Records[1] (%v)", fe.Path, err)
	}
}

func TestByteOrderMarkIgnored(t *testing.T) {
	data := append([]byte("\xef\xbb\xbf"), readTestdata(t, "kinesis-sqs.json")...)
	m, err := Parse(data)
	if err != nil || m.Record == nil {
		t.Fatalf("Parse with a BOM: %v", err)
	}
}
