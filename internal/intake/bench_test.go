//go:build integration

package intake_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/hydrant-dev/hydrant/internal/awsclient"
	"github.com/hydrant-dev/hydrant/internal/emf"
	"github.com/hydrant-dev/hydrant/internal/intake"
	"github.com/hydrant-dev/hydrant/internal/localcloud/eventbus"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
	"github.com/hydrant-dev/hydrant/internal/testkit/failuretest"
)

// BenchmarkHandle10000 hydrates one failure of 10,000 Kinesis records (1 KiB each, the ESM's
// largest batch) through the handler: read back from kinesis-local, published to a local
// EventBridge endpoint with no rules. It reports the peak heap in use while handling, which
// must stay bounded by a few pages whatever the batch size.
func BenchmarkHandle10000(b *testing.B) {
	ep := emulators.Get(b)
	srv := eventbus.New(eventbus.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ep.EventBridge = hs.URL
	busName := failuretest.UniqueName("bench")
	if _, err := ep.EventBridgeClient().CreateEventBus(context.Background(), &eventbridge.CreateEventBusInput{Name: aws.String(busName)}); err != nil {
		b.Fatal(err)
	}
	data := make([][]byte, 10000)
	for i := range data {
		data[i] = make([]byte, 1024)
		copy(data[i], fmt.Sprintf(`{"n":%d}`, i))
	}
	batch := failuretest.PutKinesis(b, ep, data)
	body := batch.FailureJSON(0, len(data)-1)
	data = nil

	b.Setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", hs.URL)
	awsCfg, err := awsclient.Load(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := intake.NewServices(awsCfg, intake.Config{EventBus: busName, Source: "hydrant", MaxEntrySize: 256 * 1024, Concurrency: 4}, log)
	if err != nil {
		b.Fatal(err)
	}
	h := intake.NewHandler(svc, log, emf.New("Hydrant", nil), io.Discard, intake.HandlerOptions{})
	ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m", Body: body}}}

	var peak atomic.Uint64
	runtime.GC()
	base := heapInUse()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // sample the heap while the handler runs
		defer close(done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if v := heapInUse(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	b.ResetTimer()
	for b.Loop() {
		resp, err := h.Handle(context.Background(), ev)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			b.Fatalf("handle: %v %+v", err, resp)
		}
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(peak.Load()-min(base, peak.Load()))/(1<<20), "peak-heap-MiB")
}

func heapInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// BenchmarkHandleBatchConcurrency hydrates an SQS batch of 10 intake messages, each a failure
// of 500 Kinesis records (1 KiB) on its own stream, with the messages handled one at a time
// and four at a time (HYDRANT_MESSAGE_CONCURRENCY): the reads of different shards overlap.
func BenchmarkHandleBatchConcurrency(b *testing.B) {
	ep := emulators.Get(b)
	srv := eventbus.New(eventbus.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ep.EventBridge = hs.URL
	busName := failuretest.UniqueName("bench")
	if _, err := ep.EventBridgeClient().CreateEventBus(context.Background(), &eventbridge.CreateEventBusInput{Name: aws.String(busName)}); err != nil {
		b.Fatal(err)
	}
	ev := events.SQSEvent{}
	for m := range 10 {
		data := make([][]byte, 500)
		for i := range data {
			data[i] = make([]byte, 1024)
			copy(data[i], fmt.Sprintf(`{"m":%d,"n":%d}`, m, i))
		}
		batch := failuretest.PutKinesis(b, ep, data)
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprint("m", m), Body: batch.FailureJSON(0, len(data)-1)})
	}
	b.Setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", hs.URL)
	awsCfg, err := awsclient.Load(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := intake.NewServices(awsCfg, intake.Config{EventBus: busName, Source: "hydrant", MaxEntrySize: 256 * 1024, Concurrency: 4}, log)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 4} {
		b.Run(fmt.Sprintf("messages-at-once=%d", n), func(b *testing.B) {
			h := intake.NewHandler(svc, log, emf.New("Hydrant", nil), io.Discard, intake.HandlerOptions{MessageConcurrency: n})
			for b.Loop() {
				resp, err := h.Handle(context.Background(), ev)
				if err != nil || len(resp.BatchItemFailures) != 0 {
					b.Fatalf("err %v, failures %+v", err, resp.BatchItemFailures)
				}
			}
		})
	}
}
