package failure

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds Parse and ParseObject arbitrary bytes, seeded with every
// testdata file. Beyond never panicking, it checks what callers rely on:
// every error is a *FieldError and comes with a zero Message; every success
// holds exactly one kind of content, and a record's range, batch size and
// stream ARN are valid and survive a marshal/parse round trip.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"KinesisBatchInfo":{"shardId":"s","startSequenceNumber":"1","endSequenceNumber":"2","batchSize":1,"streamArn":"arn:aws:kinesis:r:000000000000:stream/s"}}`))
	f.Add([]byte(`{"Records":[{"Sns":{"Message":"{\"Records\":[{\"s3\":{}}]}"}}]}`))
	f.Add([]byte(`{"body":"{\"Type\":\"Notification\",\"Message\":\"{}\"}"}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) does not wrap *FieldError", err, err)
			}
			if !reflect0(m) {
				t.Fatalf("error %v came with a message %+v", err, m)
			}
		} else {
			checkMessage(t, m)
		}

		r, err := ParseObject(data)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseObject error %v (%T) does not wrap *FieldError", err, err)
			}
			return
		}
		checkRecord(t, r)
	})
}

func checkMessage(t *testing.T, m Message) {
	t.Helper()
	kinds := 0
	if m.Record != nil {
		kinds++
		checkRecord(t, m.Record)
	}
	if m.Objects != nil {
		kinds++
		if len(m.Objects) == 0 {
			t.Fatal("empty Objects")
		}
		for _, o := range m.Objects {
			if o.Bucket == "" || o.Key == "" || o.Size < 0 {
				t.Fatalf("bad object reference %+v", o)
			}
		}
	}
	if m.TestEvent != nil {
		kinds++
		if m.TestEvent.Event != "s3:TestEvent" {
			t.Fatalf("test event %+v", m.TestEvent)
		}
	}
	if kinds != 1 {
		t.Fatalf("message holds %d kinds of content: %+v", kinds, m)
	}
	switch m.Destination {
	case DestinationSQS, DestinationSNS, DestinationS3:
	default:
		t.Fatalf("destination %q", m.Destination)
	}
}

func checkRecord(t *testing.T, r *Record) {
	t.Helper()
	if (r.KinesisBatchInfo == nil) == (r.DDBStreamBatchInfo == nil) {
		t.Fatalf("record must hold exactly one batch info: %+v", r)
	}
	b := r.Batch()
	if !isDecimal(b.StartSequenceNumber) || !isDecimal(b.EndSequenceNumber) || compareDecimal(b.StartSequenceNumber, b.EndSequenceNumber) > 0 {
		t.Fatalf("bad range [%q, %q]", b.StartSequenceNumber, b.EndSequenceNumber)
	}
	if b.BatchSize <= 0 || !validName(b.ShardID, 1, 128) {
		t.Fatalf("bad batch %+v", b)
	}
	a, err := ParseStreamARN(b.StreamARN)
	if err != nil || a != b.Source || a.Type != r.StreamType() || a.String() != b.StreamARN {
		t.Fatalf("stream ARN %q: parsed %+v, Source %+v, err %v", b.StreamARN, a, b.Source, err)
	}
	if _, err := ParseStreamARN(a.Stream()); err != nil {
		t.Fatalf("Stream() %q does not parse: %v", a.Stream(), err)
	}
	again, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	r2, err := ParseObject(again)
	if err != nil {
		t.Fatalf("marshalled record %s does not parse: %v", again, err)
	}
	if r2.Batch().StreamARN != b.StreamARN || r2.Batch().StartSequenceNumber != b.StartSequenceNumber ||
		r2.Batch().EndSequenceNumber != b.EndSequenceNumber || r2.Batch().BatchSize != b.BatchSize {
		t.Fatalf("round trip changed the batch: %+v → %+v", b, r2.Batch())
	}
}
