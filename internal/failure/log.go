package failure

import (
	"log/slog"
	"strconv"
)

// LogValue summarises the message for structured logs: where it came from
// and which batch or objects it names, never the payload (an S3 object's
// records can run to megabytes and hold user data).
func (m Message) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("destination", string(m.Destination))}
	if m.SQSMessageID != "" {
		attrs = append(attrs, slog.String("sqsMessageId", m.SQSMessageID))
	}
	if m.SNSMessageID != "" || m.SNSTopicARN != "" {
		attrs = append(attrs, slog.String("snsMessageId", m.SNSMessageID), slog.String("snsTopicArn", m.SNSTopicARN))
	}
	switch {
	case m.Record != nil:
		attrs = append(attrs, slog.Any("record", m.Record))
	case m.Objects != nil:
		objs := make([]slog.Attr, len(m.Objects))
		for i, o := range m.Objects {
			objs[i] = slog.Group(strconv.Itoa(i), "bucket", o.Bucket, "key", o.Key, "size", o.Size)
		}
		attrs = append(attrs, slog.Attr{Key: "objects", Value: slog.GroupValue(objs...)})
	case m.TestEvent != nil:
		attrs = append(attrs, slog.Group("testEvent", "event", m.TestEvent.Event, "bucket", m.TestEvent.Bucket))
	}
	return slog.GroupValue(attrs...)
}

// LogValue summarises the record for structured logs, without its payload.
func (r *Record) LogValue() slog.Value {
	b := r.Batch()
	if b == nil {
		return slog.GroupValue(slog.String("condition", r.RequestContext.Condition))
	}
	attrs := []slog.Attr{
		slog.String("streamType", string(r.StreamType())),
		slog.String("streamArn", b.StreamARN),
		slog.String("shardId", b.ShardID),
		slog.String("startSequenceNumber", b.StartSequenceNumber),
		slog.String("endSequenceNumber", b.EndSequenceNumber),
		slog.Int("batchSize", b.BatchSize),
		slog.String("condition", r.RequestContext.Condition),
		slog.String("requestId", r.RequestContext.RequestID),
	}
	if r.ResponseContext != nil && r.ResponseContext.FunctionError != "" {
		attrs = append(attrs, slog.String("functionError", r.ResponseContext.FunctionError))
	}
	if r.Payload != nil {
		attrs = append(attrs, slog.Int("payloadRecords", len(r.Payload.Records)))
	}
	return slog.GroupValue(attrs...)
}
