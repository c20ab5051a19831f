package poison

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

func kinesisRecord(seq, data string) string {
	return fmt.Sprintf(`{"eventSource":"aws:kinesis","eventID":"shardId-000000000000:%s","eventName":"aws:kinesis:record","kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":"p","sequenceNumber":%q,"data":%q,"approximateArrivalTimestamp":1764324000.5}}`,
		seq, seq, base64.StdEncoding.EncodeToString([]byte(data)))
}

func dynamoRecord(seq, newImage string) string {
	return fmt.Sprintf(`{"eventSource":"aws:dynamodb","eventID":"e%s","eventName":"INSERT","eventVersion":"1.1","dynamodb":{"ApproximateCreationDateTime":1764324000,"Keys":{"id":{"S":"1"}},"NewImage":%s,"SequenceNumber":%q,"SizeBytes":20,"StreamViewType":"NEW_AND_OLD_IMAGES"}}`,
		seq, newImage, seq)
}

func batch(records ...string) json.RawMessage {
	return json.RawMessage(`{"Records":[` + strings.Join(records, ",") + `]}`)
}

func TestHandleReportsPoisonRecords(t *testing.T) {
	c := Consumer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tc := range []struct {
		name  string
		event json.RawMessage
		want  []ItemFailure
	}{
		{"kinesis clean", batch(kinesisRecord("1", `{"order":1}`), kinesisRecord("2", `not json`)), []ItemFailure{}},
		{"kinesis poison", batch(kinesisRecord("1", `{"order":1}`), kinesisRecord("2", `{"poison":true}`), kinesisRecord("3", `{"poison":false}`), kinesisRecord("4", `{"poison":true,"x":1}`)),
			[]ItemFailure{{"2"}, {"4"}}},
		{"dynamodb", batch(dynamoRecord("10", `{"id":{"S":"1"}}`), dynamoRecord("11", `{"id":{"S":"2"},"poison":{"BOOL":true}}`), dynamoRecord("12", `{"poison":{"S":"true"}}`), dynamoRecord("13", `{"poison":{"BOOL":false}}`)),
			[]ItemFailure{{"11"}}},
		{"empty", batch(), []ItemFailure{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Handle(context.Background(), tc.event)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.BatchItemFailures, tc.want) {
				t.Errorf("failures %v, want %v", got.BatchItemFailures, tc.want)
			}
			b, _ := json.Marshal(got)
			if !strings.HasPrefix(string(b), `{"batchItemFailures":[`) {
				t.Errorf("response JSON %s", b)
			}
		})
	}
}

func TestHandleRejectsWhatIsNotAStreamBatch(t *testing.T) {
	c := Consumer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tc := range []struct {
		name  string
		event string
		want  string
	}{
		{"not json", `nope`, "decode stream event"},
		{"sqs record", `{"Records":[{"eventSource":"aws:sqs","messageId":"1"}]}`, `unsupported event source "aws:sqs"`},
		{"no sequence number", `{"Records":[{"eventSource":"aws:kinesis","kinesis":{"data":""}}]}`, "no sequence number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Handle(context.Background(), json.RawMessage(tc.event))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// Fixed (DEMO_CONSUMER_FIXED=true, read at each invocation) processes the poison records and
// logs each with its stream, sequence number, eventID and payload, as it logged the failure.
func TestFixedProcessesPoisonRecordsAndLogsThem(t *testing.T) {
	var logs strings.Builder
	env := map[string]string{}
	c := Consumer{Log: slog.New(slog.NewJSONHandler(&logs, nil)), Getenv: func(k string) string { return env[k] }}
	event := batch(kinesisRecord("1", `{"order":1}`), kinesisRecord("2", `{"poison":true}`), dynamoRecord("11", `{"id":{"S":"2"},"poison":{"BOOL":true}}`))
	read := func() []map[string]any {
		var out []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("log line %q: %v", l, err)
			}
			if m["msg"] == LogFailed || m["msg"] == LogProcessed {
				out = append(out, m)
			}
		}
		logs.Reset()
		return out
	}
	for _, tc := range []struct {
		value string
		want  []ItemFailure
		msg   string
	}{
		{"", []ItemFailure{{"2"}, {"11"}}, LogFailed},
		{"false", []ItemFailure{{"2"}, {"11"}}, LogFailed},
		{"true", []ItemFailure{}, LogProcessed},
		{"1", []ItemFailure{}, LogProcessed},
	} {
		env[FixedEnv] = tc.value
		got, err := c.Handle(context.Background(), event)
		if err != nil {
			t.Fatalf("%s=%q: %v", FixedEnv, tc.value, err)
		}
		if !reflect.DeepEqual(got.BatchItemFailures, tc.want) {
			t.Errorf("%s=%q: failures %v, want %v", FixedEnv, tc.value, got.BatchItemFailures, tc.want)
		}
		logged := read()
		if len(logged) != 2 {
			t.Fatalf("%s=%q: logged %v, want the two poison records", FixedEnv, tc.value, logged)
		}
		k, d := logged[0], logged[1]
		if k["msg"] != tc.msg || k[AttrSequence] != "2" || k[AttrEventID] != "shardId-000000000000:2" || k[AttrPayload] != `{"poison":true}` {
			t.Errorf("%s=%q: kinesis record logged as %v", FixedEnv, tc.value, k)
		}
		if d["msg"] != tc.msg || d[AttrSequence] != "11" || d[AttrPayload] != `{"id":{"S":"2"},"poison":{"BOOL":true}}` {
			t.Errorf("%s=%q: dynamodb record logged as %v", FixedEnv, tc.value, d)
		}
	}
	env[FixedEnv] = "yes please"
	if _, err := c.Handle(context.Background(), event); err == nil || !strings.Contains(err.Error(), `DEMO_CONSUMER_FIXED="yes please"`) {
		t.Errorf("a value that is no boolean: error %v, want one naming it", err)
	}
}
