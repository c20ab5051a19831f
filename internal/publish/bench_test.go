package publish_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hydrant-dev/hydrant/internal/publish"
)

// BenchmarkPublish puts 1,000 entries per operation on a local EventBridge endpoint (in
// process, over HTTP, through the SDK client) and reports the PutEvents calls it took next to
// the minimum the limits allow: 10 entries per call, and the summed entry sizes of a call
// within the maximum entry size.
func BenchmarkPublish(b *testing.B) {
	for _, tc := range []struct {
		size, max int
	}{
		{1024, publish.DefaultMaxEntrySize},
		{100 * 1024, publish.DefaultMaxEntrySize},
		{100 * 1024, 1024 * 1024},
	} {
		b.Run(fmt.Sprintf("entry=%dKiB/max=%dKiB", tc.size/1024, tc.max/1024), func(b *testing.B) {
			bus := newBus(b)
			p, err := publish.New(client(bus.url), publish.Config{EventBusName: bus.name, MaxEntrySize: tc.max})
			if err != nil {
				b.Fatal(err)
			}
			batch := entries(1000, tc.size)
			perCall := min(publish.MaxEntriesPerCall, tc.max/tc.size)
			minimum := (len(batch) + perCall - 1) / perCall
			var calls int
			b.SetBytes(int64(len(batch) * tc.size))
			b.ResetTimer()
			for b.Loop() {
				st, err := p.Publish(context.Background(), batch)
				if err != nil {
					b.Fatal(err)
				}
				calls = st.Calls
			}
			b.ReportMetric(float64(calls), "calls/1000entries")
			b.ReportMetric(float64(minimum), "min-calls/1000entries")
			b.ReportMetric(float64(len(batch)*b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
