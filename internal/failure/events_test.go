package failure

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// These tests hold Parse to aws-lambda-go's events types: the testdata
// decodes with them to the same values Parse reads, and what those types
// marshal (as a Go Lambda handler or the local cloud would re-emit an
// event) parses.

func TestEventsSNSAgree(t *testing.T) {
	t.Run("Lambda SNS event", func(t *testing.T) {
		data := readTestdata(t, "kinesis-sns-lambda-event.json")
		var ev events.SNSEvent
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Fatal(err)
		}
		m, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		sns := ev.Records[0].SNS
		if m.SNSMessageID != sns.MessageID || m.SNSTopicARN != sns.TopicArn || sns.MessageID == "" {
			t.Errorf("Parse read MessageId %q TopicArn %q; events.SNSEntity has %q %q", m.SNSMessageID, m.SNSTopicARN, sns.MessageID, sns.TopicArn)
		}
		inner, err := Parse([]byte(sns.Message))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(inner.Record, m.Record) {
			t.Errorf("events.SNSEntity.Message parses to a different record")
		}
	})
	t.Run("SQS subscription envelope", func(t *testing.T) {
		// The envelope SQS receives spells SigningCertURL, the Lambda event
		// SigningCertUrl; encoding/json matches either to SNSEntity.
		data := readTestdata(t, "kinesis-sns-envelope.json")
		var e events.SNSEntity
		if err := json.Unmarshal(data, &e); err != nil {
			t.Fatal(err)
		}
		m, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		if e.Type != "Notification" || e.SigningCertURL == "" || m.SNSMessageID != e.MessageID || m.SNSTopicARN != e.TopicArn {
			t.Errorf("events.SNSEntity %+v disagrees with Parse %+v", e, m)
		}
	})
	t.Run("marshalled events.SNSEvent", func(t *testing.T) {
		rec := readTestdata(t, "dynamodb-sqs.json")
		ev := events.SNSEvent{Records: []events.SNSEventRecord{{
			EventVersion: "1.0", EventSource: "aws:sns",
			EventSubscriptionArn: "arn:aws:sns:us-east-1:111111111111:t:0f0e0d0c-0b0a-4909-8807-060504030201",
			SNS: events.SNSEntity{
				Type: "Notification", MessageID: "m-1", TopicArn: "arn:aws:sns:us-east-1:111111111111:t",
				Message: string(rec), Timestamp: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
			},
		}}}
		m, err := Parse(marshal(t, ev))
		if err != nil {
			t.Fatal(err)
		}
		want, err := Parse(rec)
		if err != nil {
			t.Fatal(err)
		}
		if m.Destination != DestinationSNS || m.SNSMessageID != "m-1" || !reflect.DeepEqual(m.Record, want.Record) {
			t.Errorf("got %+v", m)
		}
	})
}

func TestEventsS3Agree(t *testing.T) {
	for _, file := range []string{"s3-notification.json", "s3-notification-encoded-key.json"} {
		t.Run(file, func(t *testing.T) {
			data := readTestdata(t, file)
			var ev events.S3Event
			if err := json.Unmarshal(data, &ev); err != nil {
				t.Fatal(err)
			}
			m, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			var want []ObjectRef
			for _, r := range ev.Records {
				want = append(want, ObjectRef{
					Bucket: r.S3.Bucket.Name, Key: r.S3.Object.URLDecodedKey, Size: r.S3.Object.Size,
					VersionID: r.S3.Object.VersionID, ETag: r.S3.Object.ETag, Sequencer: r.S3.Object.Sequencer,
					EventName: r.EventName, Region: r.AWSRegion,
				})
			}
			if !reflect.DeepEqual(m.Objects, want) {
				t.Errorf("Parse objects\n %+v\nevents.S3Event gives\n %+v", m.Objects, want)
			}
		})
	}
	t.Run("marshalled events.S3Event", func(t *testing.T) {
		ev := events.S3Event{Records: []events.S3EventRecord{{
			EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: "eu-west-1", EventName: "ObjectCreated:Put",
			EventTime: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
			S3: events.S3Entity{
				Bucket: events.S3Bucket{Name: "b"},
				Object: events.S3Object{Key: "aws/lambda/x/shardId-000000000000/2024/01/02/a+b%2Bc", Size: 10},
			},
		}}}
		m, err := Parse(marshal(t, ev))
		if err != nil {
			t.Fatal(err)
		}
		want := []ObjectRef{{Bucket: "b", Key: "aws/lambda/x/shardId-000000000000/2024/01/02/a b+c", Size: 10, EventName: "ObjectCreated:Put", Region: "eu-west-1"}}
		if !reflect.DeepEqual(m.Objects, want) {
			t.Errorf("got %+v, want %+v", m.Objects, want)
		}
	})
	t.Run("test event", func(t *testing.T) {
		data := readTestdata(t, "s3-test-event.json")
		var ev events.S3TestEvent
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Fatal(err)
		}
		m, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		got := m.TestEvent
		if got.Event != ev.Event || got.Bucket != ev.Bucket || got.Service != ev.Service || got.RequestID != ev.RequestID ||
			got.HostID != ev.HostID || got.Time != ev.Time.Format("2006-01-02T15:04:05.000Z07:00") {
			t.Errorf("Parse %+v, events.S3TestEvent %+v", got, ev)
		}
	})
}

func TestEventsSQSAgree(t *testing.T) {
	data := readTestdata(t, "sqs-lambda-event.json")
	var ev events.SQSEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	m, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	body, err := Parse([]byte(ev.Records[0].Body))
	if err != nil {
		t.Fatal(err)
	}
	if m.SQSMessageID != ev.Records[0].MessageId || !reflect.DeepEqual(m.Record, body.Record) {
		t.Errorf("SQS event: Parse %+v, events.SQSMessage %+v", m, ev.Records[0])
	}
	// One events.SQSMessage on its own, as a handler gets it per record.
	one, err := Parse(marshal(t, ev.Records[0]))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(one, m) {
		t.Errorf("events.SQSMessage alone parses to %+v, the event to %+v", one, m)
	}
}

func TestEventsKinesisAgree(t *testing.T) {
	data := readTestdata(t, "kinesis-s3-object.json")
	var obj struct {
		Payload events.KinesisEvent `json:"payload"`
	}
	if err := json.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	r, err := ParseObject(data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Payload.KinesisRecords()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, obj.Payload.Records) {
		t.Errorf("KinesisRecords\n %+v\nevents.KinesisEvent\n %+v", got, obj.Payload.Records)
	}
	for i, rec := range got {
		if rec.EventSource != "aws:kinesis" || rec.Kinesis.SequenceNumber == "" || len(rec.Kinesis.Data) == 0 {
			t.Errorf("record %d decoded empty: %+v", i, rec)
		}
	}
}
