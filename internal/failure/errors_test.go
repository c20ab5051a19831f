package failure

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
)

func asFieldError(t *testing.T, err error) *FieldError {
	t.Helper()
	if err == nil {
		t.Fatal("got no error")
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) does not wrap a *FieldError", err, err)
	}
	return fe
}

// doc is a JSON document under edit, decoded with numbers kept exact.
type doc = map[string]any

func load(t *testing.T, name string) doc {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(readTestdata(t, name)))
	dec.UseNumber()
	var d doc
	if err := dec.Decode(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

// deleteMe as a value removes the field.
var deleteMe = &struct{}{}

// set sets the value at a dotted path ("a.b.0.c", numbers index arrays).
func set(t *testing.T, d doc, path string, v any) {
	t.Helper()
	segs := strings.Split(path, ".")
	var cur any = d
	for i, seg := range segs {
		last := i == len(segs)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if v == deleteMe {
					delete(c, seg)
				} else {
					c[seg] = v
				}
				return
			}
			cur = c[seg]
		case []any:
			n, err := strconv.Atoi(seg)
			if err != nil || n >= len(c) {
				t.Fatalf("path %s: bad index %s", path, seg)
			}
			if last {
				c[n] = v
				return
			}
			cur = c[n]
		default:
			t.Fatalf("path %s: %s is not inside an object or array", path, seg)
		}
	}
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Wrappers put a mutated record inside an envelope, to check that errors in
// the record still name the record's field.
func snsEnvelope(t *testing.T, inner []byte) []byte {
	d := load(t, "kinesis-sns-envelope.json")
	d["Message"] = string(inner)
	return marshal(t, d)
}

func sqsMessage(t *testing.T, inner []byte) []byte {
	d := load(t, "sqs-lambda-message-sns-envelope.json")
	d["body"] = string(inner)
	return marshal(t, d)
}

func TestParseFieldErrors(t *testing.T) {
	const (
		kin  = "kinesis-sqs.json"
		ddb  = "dynamodb-sqs.json"
		kobj = "kinesis-s3-object.json"
		dobj = "dynamodb-s3-object.json"
		not  = "s3-notification.json"
		not2 = "s3-notification-encoded-key.json"
		env  = "kinesis-sns-envelope.json"
		lsns = "kinesis-sns-lambda-event.json"
		test = "s3-test-event.json"
		sqs  = "sqs-lambda-message-sns-envelope.json"
		recv = "sqs-receive-message.json"
	)
	type edit struct {
		path  string
		value any
	}
	tests := []struct {
		name     string
		file     string
		edits    []edit
		wrap     func(*testing.T, []byte) []byte
		wantPath string
		want     string // substring of the FieldError's message
	}{
		// Batch info, Kinesis.
		{"shard missing", kin, []edit{{"KinesisBatchInfo.shardId", deleteMe}}, nil, "KinesisBatchInfo.shardId", "missing"},
		{"shard number", kin, []edit{{"KinesisBatchInfo.shardId", 1}}, nil, "KinesisBatchInfo.shardId", "must be a string, got number 1"},
		{"shard null", kin, []edit{{"KinesisBatchInfo.shardId", nil}}, nil, "KinesisBatchInfo.shardId", "must be a string, got null"},
		{"shard spaces", kin, []edit{{"KinesisBatchInfo.shardId", "shard 1"}}, nil, "KinesisBatchInfo.shardId", `must be a shard ID`},
		{"shard empty", kin, []edit{{"KinesisBatchInfo.shardId", ""}}, nil, "KinesisBatchInfo.shardId", `must be a shard ID`},
		{"start letters", kin, []edit{{"KinesisBatchInfo.startSequenceNumber", "49601x"}}, nil, "KinesisBatchInfo.startSequenceNumber", `must be a decimal sequence number, got "49601x"`},
		{"start missing", kin, []edit{{"KinesisBatchInfo.startSequenceNumber", deleteMe}}, nil, "KinesisBatchInfo.startSequenceNumber", "missing"},
		{"end abc", kin, []edit{{"KinesisBatchInfo.endSequenceNumber", "abc"}}, nil, "KinesisBatchInfo.endSequenceNumber", `must be a decimal sequence number, got "abc"`},
		{"end number", kin, []edit{{"KinesisBatchInfo.endSequenceNumber", json.Number("123")}}, nil, "KinesisBatchInfo.endSequenceNumber", "must be a decimal sequence number, got number 123"},
		{"end empty", kin, []edit{{"KinesisBatchInfo.endSequenceNumber", ""}}, nil, "KinesisBatchInfo.endSequenceNumber", `got ""`},
		{"end negative", kin, []edit{{"KinesisBatchInfo.endSequenceNumber", "-5"}}, nil, "KinesisBatchInfo.endSequenceNumber", `got "-5"`},
		{"end too long", kin, []edit{{"KinesisBatchInfo.endSequenceNumber", strings.Repeat("9", 130)}}, nil, "KinesisBatchInfo.endSequenceNumber", "must be a decimal sequence number"},
		{"end below start", kin, []edit{{"KinesisBatchInfo.endSequenceNumber", "49601189658422359378836298521827638475320189012309704721"}}, nil, "KinesisBatchInfo.endSequenceNumber", "must not be below startSequenceNumber"},
		// "99" > "100" as strings, but not as numbers.
		{"end below start, shorter", kin, []edit{{"KinesisBatchInfo.startSequenceNumber", "100"}, {"KinesisBatchInfo.endSequenceNumber", "99"}}, nil, "KinesisBatchInfo.endSequenceNumber", "must not be below startSequenceNumber"},
		{"batch size zero", kin, []edit{{"KinesisBatchInfo.batchSize", json.Number("0")}}, nil, "KinesisBatchInfo.batchSize", "must be a positive integer, got number 0"},
		{"batch size negative", kin, []edit{{"KinesisBatchInfo.batchSize", json.Number("-1")}}, nil, "KinesisBatchInfo.batchSize", "must be a positive integer"},
		{"batch size fraction", kin, []edit{{"KinesisBatchInfo.batchSize", json.Number("1.5")}}, nil, "KinesisBatchInfo.batchSize", "must be an integer, got number 1.5"},
		{"batch size exponent", kin, []edit{{"KinesisBatchInfo.batchSize", json.Number("1e3")}}, nil, "KinesisBatchInfo.batchSize", "must be an integer"},
		{"batch size huge", kin, []edit{{"KinesisBatchInfo.batchSize", json.Number("99999999999999999999")}}, nil, "KinesisBatchInfo.batchSize", "fits in 64 bits"},
		{"batch size string", kin, []edit{{"KinesisBatchInfo.batchSize", "500"}}, nil, "KinesisBatchInfo.batchSize", `must be an integer, got "500"`},
		{"batch size missing", kin, []edit{{"KinesisBatchInfo.batchSize", deleteMe}}, nil, "KinesisBatchInfo.batchSize", "missing"},
		{"first arrival words", kin, []edit{{"KinesisBatchInfo.approximateArrivalOfFirstRecord", "yesterday"}}, nil, "KinesisBatchInfo.approximateArrivalOfFirstRecord", `RFC 3339 timestamp`},
		{"first arrival space", kin, []edit{{"KinesisBatchInfo.approximateArrivalOfFirstRecord", "2019-11-14 00:38:04.835Z"}}, nil, "KinesisBatchInfo.approximateArrivalOfFirstRecord", `got "2019-11-14 00:38:04.835Z"`},
		{"last arrival number", kin, []edit{{"KinesisBatchInfo.approximateArrivalOfLastRecord", json.Number("1573691885")}}, nil, "KinesisBatchInfo.approximateArrivalOfLastRecord", "got number 1573691885"},
		{"stream missing", kin, []edit{{"KinesisBatchInfo.streamArn", deleteMe}}, nil, "KinesisBatchInfo.streamArn", "missing"},
		{"stream not an ARN", kin, []edit{{"KinesisBatchInfo.streamArn", "mystream"}}, nil, "KinesisBatchInfo.streamArn", "must be an ARN"},
		{"stream is DynamoDB", kin, []edit{{"KinesisBatchInfo.streamArn", "arn:aws:dynamodb:us-east-1:123456789012:table/t1/stream/2023-12-10T22:52:22.419"}}, nil, "KinesisBatchInfo.streamArn", "must be a Kinesis stream or stream consumer ARN"},
		{"stream service sqs", kin, []edit{{"KinesisBatchInfo.streamArn", "arn:aws:sqs:us-east-2:123456789012:queue"}}, nil, "KinesisBatchInfo.streamArn", `service "sqs"`},
		{"stream short account", kin, []edit{{"KinesisBatchInfo.streamArn", "arn:aws:kinesis:us-east-2:1234:stream/mystream"}}, nil, "KinesisBatchInfo.streamArn", "12-digit account"},
		{"stream empty region", kin, []edit{{"KinesisBatchInfo.streamArn", "arn:aws:kinesis::123456789012:stream/mystream"}}, nil, "KinesisBatchInfo.streamArn", "region"},
		{"stream bad partition", kin, []edit{{"KinesisBatchInfo.streamArn", "arn:AWS:kinesis:us-east-2:123456789012:stream/mystream"}}, nil, "KinesisBatchInfo.streamArn", "partition"},
		{"stream name slash", kin, []edit{{"KinesisBatchInfo.streamArn", "arn:aws:kinesis:us-east-2:123456789012:stream/a/b"}}, nil, "KinesisBatchInfo.streamArn", "neither stream/NAME"},
		{"stream name too long", kin, []edit{{"KinesisBatchInfo.streamArn", "arn:aws:kinesis:us-east-2:123456789012:stream/" + strings.Repeat("s", 129)}}, nil, "KinesisBatchInfo.streamArn", "stream name"},
		{"consumer without timestamp", kin, []edit{{"KinesisBatchInfo.streamArn", "arn:aws:kinesis:us-east-2:123456789012:stream/mystream/consumer/c1"}}, nil, "KinesisBatchInfo.streamArn", "CONSUMER:TIMESTAMP"},
		{"consumer bad timestamp", kin, []edit{{"KinesisBatchInfo.streamArn", "arn:aws:kinesis:us-east-2:123456789012:stream/mystream/consumer/c1:soon"}}, nil, "KinesisBatchInfo.streamArn", "CONSUMER:TIMESTAMP"},
		{"batch info string", kin, []edit{{"KinesisBatchInfo", "x"}}, nil, "KinesisBatchInfo", `must be an object, got "x"`},
		{"batch info null", kin, []edit{{"KinesisBatchInfo", nil}}, nil, "KinesisBatchInfo", "must be an object, got null"},
		{"both batch infos", kin, []edit{{"DDBStreamBatchInfo", load(t, ddb)["DDBStreamBatchInfo"]}}, nil, "DDBStreamBatchInfo", "not both"},
		// Envelope of the record.
		{"version number", kin, []edit{{"version", json.Number("1")}}, nil, "version", "must be a string"},
		{"timestamp bad", kin, []edit{{"timestamp", "14/11/2019"}}, nil, "timestamp", `got "14/11/2019"`},
		{"request context string", kin, []edit{{"requestContext", "x"}}, nil, "requestContext", "must be an object"},
		{"invoke count string", kin, []edit{{"requestContext.approximateInvokeCount", "1"}}, nil, "requestContext.approximateInvokeCount", "must be an integer"},
		{"invoke count negative", kin, []edit{{"requestContext.approximateInvokeCount", json.Number("-1")}}, nil, "requestContext.approximateInvokeCount", "must not be negative"},
		{"condition number", kin, []edit{{"requestContext.condition", json.Number("5")}}, nil, "requestContext.condition", "must be a string"},
		{"function ARN object", kin, []edit{{"requestContext.functionArn", doc{}}}, nil, "requestContext.functionArn", "must be a string, got object"},
		{"response context array", kin, []edit{{"responseContext", []any{}}}, nil, "responseContext", "must be an object, got array"},
		{"status code string", kin, []edit{{"responseContext.statusCode", "200"}}, nil, "responseContext.statusCode", "must be an integer"},
		{"status code huge", kin, []edit{{"responseContext.statusCode", json.Number("70000")}}, nil, "responseContext.statusCode", "HTTP status code"},
		{"function error number", kin, []edit{{"responseContext.functionError", json.Number("1")}}, nil, "responseContext.functionError", "must be a string"},
		// Batch info, DynamoDB.
		{"ddb Kinesis ARN", ddb, []edit{{"DDBStreamBatchInfo.streamArn", "arn:aws:kinesis:us-east-1:374852340823:stream/s"}}, nil, "DDBStreamBatchInfo.streamArn", "must be a DynamoDB stream ARN"},
		{"ddb table ARN", ddb, []edit{{"DDBStreamBatchInfo.streamArn", "arn:aws:dynamodb:us-east-1:374852340823:table/orders"}}, nil, "DDBStreamBatchInfo.streamArn", "table/TABLE/stream/LABEL"},
		{"ddb label space", ddb, []edit{{"DDBStreamBatchInfo.streamArn", "arn:aws:dynamodb:us-east-1:374852340823:table/orders/stream/a b"}}, nil, "DDBStreamBatchInfo.streamArn", "stream label"},
		{"ddb start exponent", ddb, []edit{{"DDBStreamBatchInfo.startSequenceNumber", "1e20"}}, nil, "DDBStreamBatchInfo.startSequenceNumber", `got "1e20"`},
		{"ddb first arrival", ddb, []edit{{"DDBStreamBatchInfo.approximateArrivalOfFirstRecord", "2023-12-10T22:58:57"}}, nil, "DDBStreamBatchInfo.approximateArrivalOfFirstRecord", "RFC 3339"},
		{"ddb batch size", ddb, []edit{{"DDBStreamBatchInfo.batchSize", json.Number("0")}}, nil, "DDBStreamBatchInfo.batchSize", "positive"},
		// Errors inside envelopes still name the record's field.
		{"end abc in SNS envelope", kin, []edit{{"KinesisBatchInfo.endSequenceNumber", "abc"}}, snsEnvelope, "KinesisBatchInfo.endSequenceNumber", `must be a decimal sequence number, got "abc"`},
		{"end abc in SQS and SNS", ddb, []edit{{"DDBStreamBatchInfo.batchSize", json.Number("-3")}}, func(t *testing.T, b []byte) []byte { return sqsMessage(t, snsEnvelope(t, b)) }, "DDBStreamBatchInfo.batchSize", "positive"},
		// S3 on-failure objects.
		{"payload string", kobj, []edit{{"payload", "x"}}, nil, "payload", "must be an object, got string"},
		{"payload records object", kobj, []edit{{"payload.Records", doc{}}}, nil, "payload.Records", "must be an array, got object"},
		{"payload records missing", kobj, []edit{{"payload.Records", deleteMe}}, nil, "payload.Records", "missing"},
		{"payload record string", kobj, []edit{{"payload.Records.1", "x"}}, nil, "payload.Records[1]", `must be an object, got "x"`},
		{"payload record not Kinesis", kobj, []edit{{"payload.Records.1.kinesis", deleteMe}}, nil, "payload.Records[1].kinesis", "missing"},
		{"payload kinesis string", kobj, []edit{{"payload.Records.0.kinesis", "x"}}, nil, "payload.Records[0].kinesis", "must be an object, got string"},
		{"payload sequence letters", kobj, []edit{{"payload.Records.1.kinesis.sequenceNumber", "12x"}}, nil, "payload.Records[1].kinesis.sequenceNumber", `got "12x"`},
		{"payload sequence missing", kobj, []edit{{"payload.Records.2.kinesis.sequenceNumber", deleteMe}}, nil, "payload.Records[2].kinesis.sequenceNumber", "missing"},
		{"payload sequence negative", kobj, []edit{{"payload.Records.0.kinesis.sequenceNumber", "-1"}}, nil, "payload.Records[0].kinesis.sequenceNumber", `got "-1"`},
		{"ddb payload sequence number", dobj, []edit{{"payload.Records.0.dynamodb.SequenceNumber", json.Number("5")}}, nil, "payload.Records[0].dynamodb.SequenceNumber", "got number 5"},
		{"ddb payload holds Kinesis", dobj, []edit{{"payload.Records.0", load(t, kobj)["payload"].(doc)["Records"].([]any)[0]}}, nil, "payload.Records[0].dynamodb", "missing"},
		// S3 event notifications.
		{"records empty", not, []edit{{"Records", []any{}}}, nil, "Records", "must not be empty"},
		{"records string", not, []edit{{"Records", "x"}}, nil, "Records", "must be an array, got string"},
		{"record string", not, []edit{{"Records.0", "x"}}, nil, "Records[0]", "must be an object"},
		{"event removed", not, []edit{{"Records.0.eventName", "ObjectRemoved:Delete"}}, nil, "Records[0].eventName", `must be an ObjectCreated:* event, got "ObjectRemoved:Delete"`},
		{"event name missing", not, []edit{{"Records.0.eventName", deleteMe}}, nil, "Records[0].eventName", "missing"},
		{"event source kinesis", not, []edit{{"Records.0.eventSource", "aws:kinesis"}}, nil, "Records[0].eventSource", "not an on-failure record"},
		{"event source unknown", not, []edit{{"Records.0.eventSource", "aws:ses"}}, nil, "Records[0].eventSource", `got "aws:ses"`},
		{"event source mixed", not2, []edit{{"Records.1.eventSource", "aws:sns"}}, nil, "Records[1].eventSource", "must be aws:s3"},
		{"s3 missing", not, []edit{{"Records.0.s3", deleteMe}}, nil, "Records[0].s3", "missing"},
		{"bucket string", not, []edit{{"Records.0.s3.bucket", "b"}}, nil, "Records[0].s3.bucket", "must be an object"},
		{"bucket name empty", not, []edit{{"Records.0.s3.bucket.name", ""}}, nil, "Records[0].s3.bucket.name", "must not be empty"},
		{"bucket name number", not, []edit{{"Records.0.s3.bucket.name", json.Number("3")}}, nil, "Records[0].s3.bucket.name", "must be a string"},
		{"object missing", not, []edit{{"Records.0.s3.object", deleteMe}}, nil, "Records[0].s3.object", "missing"},
		{"key missing", not, []edit{{"Records.0.s3.object.key", deleteMe}}, nil, "Records[0].s3.object.key", "missing"},
		{"key bad escape", not, []edit{{"Records.0.s3.object.key", "aws/lambda/x%zz"}}, nil, "Records[0].s3.object.key", `must be URL-encoded, got "aws/lambda/x%zz"`},
		{"key empty", not, []edit{{"Records.0.s3.object.key", ""}}, nil, "Records[0].s3.object.key", "must not be empty"},
		{"size string", not, []edit{{"Records.0.s3.object.size", "big"}}, nil, "Records[0].s3.object.size", "must be an integer"},
		{"size negative", not, []edit{{"Records.0.s3.object.size", json.Number("-1")}}, nil, "Records[0].s3.object.size", "must not be negative"},
		{"version id number", not2, []edit{{"Records.1.s3.object.versionId", json.Number("7")}}, nil, "Records[1].s3.object.versionId", "must be a string"},
		{"test event other", test, []edit{{"Event", "s3:Other"}}, nil, "Event", `must be "s3:TestEvent"`},
		{"test event bucket", test, []edit{{"Bucket", json.Number("5")}}, nil, "Bucket", "must be a string"},
		// SNS notifications.
		{"SNS subscription confirmation", env, []edit{{"Type", "SubscriptionConfirmation"}}, nil, "Type", `got "SubscriptionConfirmation"`},
		{"SNS message missing", env, []edit{{"Message", deleteMe}}, nil, "Message", "missing"},
		{"SNS message number", env, []edit{{"Message", json.Number("5")}}, nil, "Message", "must be a string holding JSON, got number 5"},
		{"SNS message not JSON", env, []edit{{"Message", "hello"}}, nil, "", "invalid JSON"},
		{"SNS message empty object", env, []edit{{"Message", "{}"}}, nil, "", "not a failure record"},
		{"SNS message id number", env, []edit{{"MessageId", json.Number("5")}}, nil, "MessageId", "must be a string"},
		{"SNS in SNS", env, []edit{{"Message", string(readTestdata(t, env))}}, nil, "Message", "cannot be nested"},
		{"SQS in SNS", env, []edit{{"Message", string(readTestdata(t, "sqs-lambda-event.json"))}}, nil, "Records[0].body", "cannot be nested"},
		{"Lambda SNS entity string", lsns, []edit{{"Records.0.Sns", "x"}}, nil, "Records[0].Sns", "must be an object"},
		{"Lambda SNS type", lsns, []edit{{"Records.0.Sns.Type", "Other"}}, nil, "Records[0].Sns.Type", `got "Other"`},
		{"Lambda SNS message missing", lsns, []edit{{"Records.0.Sns.Message", deleteMe}}, nil, "Records[0].Sns.Message", "missing"},
		{"Lambda SNS two records", lsns, []edit{{"Records", append(load(t, lsns)["Records"].([]any), load(t, lsns)["Records"].([]any)[0])}}, nil, "Records", "exactly one record"},
		// SQS messages.
		{"SQS body number", sqs, []edit{{"body", json.Number("5")}}, nil, "body", "must be a string holding JSON"},
		{"SQS message id number", sqs, []edit{{"messageId", json.Number("5")}}, nil, "messageId", "must be a string"},
		{"SQS in SQS", sqs, []edit{{"body", string(readTestdata(t, sqs))}}, nil, "body", "cannot be nested"},
		{"receive two messages", recv, []edit{{"Messages", append(load(t, recv)["Messages"].([]any), load(t, recv)["Messages"].([]any)[0])}}, nil, "Messages", "exactly one SQS message, got 2"},
		{"receive no body", recv, []edit{{"Messages.0.Body", deleteMe}}, nil, "Messages[0].Body", "missing"},
		{"receive message string", recv, []edit{{"Messages.0", "x"}}, nil, "Messages[0]", "must be an object"},
		{"receive body number", recv, []edit{{"Messages.0.Body", json.Number("1")}}, nil, "Messages[0].Body", "must be a string holding JSON"},
		{"receive id number", recv, []edit{{"Messages.0.MessageId", json.Number("1")}}, nil, "Messages[0].MessageId", "must be a string"},
		{"Lambda SQS body null", "sqs-lambda-event.json", []edit{{"Records.0.body", nil}}, nil, "Records[0].body", "must be a string holding JSON, got null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := load(t, tt.file)
			for _, e := range tt.edits {
				set(t, d, e.path, e.value)
			}
			data := marshal(t, d)
			if tt.wrap != nil {
				data = tt.wrap(t, data)
			}
			m, err := Parse(data)
			if err == nil {
				t.Fatalf("Parse accepted the input: %+v", m)
			}
			fe := asFieldError(t, err)
			if fe.Path != tt.wantPath {
				t.Errorf("path %q, want %q (error: %v)", fe.Path, tt.wantPath, err)
			}
			if !strings.Contains(fe.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", fe.Error(), tt.want)
			}
			if !reflect0(m) {
				t.Errorf("Parse returned a partial message with its error: %+v", m)
			}
		})
	}
}

// reflect0 reports whether m is the zero Message.
func reflect0(m Message) bool {
	return m.Destination == "" && m.Record == nil && m.Objects == nil && m.TestEvent == nil &&
		m.SNSMessageID == "" && m.SNSTopicARN == "" && m.SQSMessageID == ""
}

func TestParseErrorMessages(t *testing.T) {
	// The exact wording the brief asks for.
	d := load(t, "kinesis-sqs.json")
	set(t, d, "KinesisBatchInfo.endSequenceNumber", "abc")
	_, err := Parse(marshal(t, d))
	if got, want := err.Error(), `KinesisBatchInfo.endSequenceNumber: must be a decimal sequence number, got "abc"`; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
	// Inside envelopes, the wrapping error names the envelope and its ID.
	_, err = Parse(sqsMessage(t, snsEnvelope(t, marshal(t, d))))
	want := `SQS message 059f36b4-87a3-44ab-83d2-661975830a7d body: SNS notification 95df01b4-ee98-5cb9-9903-4c221d41eb5e Message: KinesisBatchInfo.endSequenceNumber: must be a decimal sequence number, got "abc"`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	// Long values are cut short in messages.
	set(t, d, "KinesisBatchInfo.endSequenceNumber", strings.Repeat("x", 10000))
	_, err = Parse(marshal(t, d))
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("error for a 10,000-byte value is %d bytes: %.300v", len(err.Error()), err)
	}
}

func TestParseDocumentErrors(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"empty", "", "empty input"},
		{"spaces", " \n\t", "empty input"},
		{"array", "[1,2]", "must be a JSON object, got array"},
		{"null", "null", "must be a JSON object, got null"},
		{"string", `"x"`, "must be a JSON object, got string"},
		{"truncated", `{"KinesisBatchInfo":`, "invalid JSON"},
		{"garbage", "not json", "invalid JSON"},
		{"trailing garbage", `{"a":1} x`, "invalid JSON"},
		{"empty object", "{}", "not a failure record or a known envelope"},
		{"null records", `{"Records":null}`, "not a failure record or a known envelope"},
		{"unrelated object", `{"hello":"world"}`, "not a failure record or a known envelope"},
		{"Lambda Kinesis event", `{"Records":[{"eventSource":"aws:kinesis","kinesis":{}}]}`, "Records[0].eventSource: a Lambda aws:kinesis event"},
		{"record without source", `{"Records":[{"x":1}]}`, "Records[0].eventSource: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.input))
			fe := asFieldError(t, err)
			if !strings.Contains(fe.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", fe.Error(), tt.want)
			}
		})
	}
}

func TestUnknownFieldsTolerated(t *testing.T) {
	for _, file := range []string{"kinesis-sqs.json", "kinesis-s3-object.json", "kinesis-sns-envelope.json", "s3-notification.json"} {
		t.Run(file, func(t *testing.T) {
			want, err := Parse(readTestdata(t, file))
			if err != nil {
				t.Fatal(err)
			}
			d := load(t, file)
			d["hasBeenTruncated"] = false
			d["someFutureField"] = doc{"nested": []any{json.Number("1"), "two"}}
			got, err := Parse(marshal(t, d))
			if err != nil {
				t.Fatalf("extra fields rejected: %v", err)
			}
			if summarize(got).Destination != summarize(want).Destination || (want.Record != nil) != (got.Record != nil) {
				t.Errorf("extra fields changed the result: %+v", got)
			}
		})
	}
}

// A payload record outside [start, end] is kept, not rejected: see checkPayload.
func TestPayloadOutsideRangeKept(t *testing.T) {
	d := load(t, "kinesis-s3-object.json")
	set(t, d, "payload.Records.2.kinesis.sequenceNumber", "49656710281519541963539395939499804168175727151812788227")
	r, err := ParseObject(marshal(t, d))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := r.Payload.KinesisRecords()
	if err != nil || len(recs) != 3 || recs[2].Kinesis.SequenceNumber != "49656710281519541963539395939499804168175727151812788227" {
		t.Errorf("records %+v, err %v", recs, err)
	}
}
