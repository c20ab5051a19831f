package esm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
)

// BenchmarkBisect10000 runs the stream failure semantics on a 10,000-record
// batch (the Kinesis maximum) with one poison record, bisection on and no
// retries: the engine's own cost, without emulators or JSON decoding in the
// function.
func BenchmarkBisect10000(b *testing.B) {
	recs := testRecords(10000, time.Now())
	poison := recs[6789].seq
	s := settings{maxRetries: 0, maxAge: -1, Config: Config{BisectBatchOnFunctionError: true}}
	invocations := 0
	r := &batchRunner{
		s: &s, now: time.Now, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		invoke: func(_ context.Context, batch []record) outcome {
			invocations++
			_ = eventPayload(batch)
			for _, rec := range batch {
				if rec.seq == poison {
					return classify(nil, errors.New("poison"), batch, false)
				}
			}
			return classify(json.RawMessage(`null`), nil, batch, false)
		},
		discard: func(context.Context, discarded) error { return nil },
	}
	b.ReportAllocs()
	for b.Loop() {
		invocations = 0
		if err := r.run(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(invocations), "invocations/op")
}
