package hydrate_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/hydrate"
	"github.com/hydrant-dev/hydrant/internal/publish"
	"github.com/hydrant-dev/hydrant/internal/streams"
)

// The hydrate path, from a GetRecords page to the PutEvents request body: the Kinesis reader
// converts the page's records, the builder makes each RecordHydrated, the bus sink encodes,
// sizes and buffers it, and the publisher packs PutEvents calls that the SDK's eventbridge
// client serialises. The client's HTTP transport reads the request body and answers success,
// so no network, signing (anonymous credentials) or endpoint is measured.

const streamARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"

func seq(i int) string {
	return fmt.Sprintf("4968065330681963532880996996322252273867328970298700%04d", i)
}

// memKinesis serves GetRecords pages from records already decoded, as the SDK returns them.
type memKinesis struct{ records []ktypes.Record }

func (m memKinesis) GetShardIterator(context.Context, *kinesis.GetShardIteratorInput, ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	return &kinesis.GetShardIteratorOutput{ShardIterator: aws.String("0")}, nil
}

func (m memKinesis) GetRecords(_ context.Context, in *kinesis.GetRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	i, _ := strconv.Atoi(aws.ToString(in.ShardIterator))
	j := min(i+int(aws.ToInt32(in.Limit)), len(m.records))
	return &kinesis.GetRecordsOutput{Records: m.records[i:j], NextShardIterator: aws.String(strconv.Itoa(j)), MillisBehindLatest: aws.Int64(0)}, nil
}

// busTransport stands in for EventBridge behind the SDK client: it reads each PutEvents request
// body and accepts every entry.
type busTransport struct {
	calls, bodyBytes atomic.Int64
	bufs             sync.Pool
}

func (t *busTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	buf, _ := t.bufs.Get().(*bytes.Buffer) // the fake's own reading is not what is measured
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer t.bufs.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return nil, err
	}
	r.Body.Close()
	body := buf.Bytes()
	t.calls.Add(1)
	t.bodyBytes.Add(int64(len(body)))
	n := bytes.Count(body, []byte(`"EventBusName":`)) // once per entry; a detail is an escaped string
	var out bytes.Buffer
	out.WriteString(`{"FailedEntryCount":0,"Entries":[`)
	for i := range n {
		if i > 0 {
			out.WriteByte(',')
		}
		fmt.Fprintf(&out, `{"EventId":"%d"}`, i)
	}
	out.WriteString(`]}`)
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body: io.NopCloser(&out), ContentLength: int64(out.Len()), Request: r}, nil
}

func eventBridge(t http.RoundTripper) *eventbridge.Client {
	return eventbridge.New(eventbridge.Options{
		Region: "eu-west-1", Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String("http://eventbridge.bench"),
		HTTPClient: &http.Client{Transport: t}, RetryMaxAttempts: 1,
	}, publish.SerializePutEvents) // as intake.NewServices builds it
}

// failureOf is the SQS on-failure record for records [0, n) of the shard, through the real parser.
func failureOf(tb testing.TB, n int) failure.Message {
	tb.Helper()
	body := fmt.Sprintf(`{"requestContext":{"requestId":"3b5f8e41-2c7d-4a0e-9f13-6d2b8a7c1e55","functionArn":"arn:aws:lambda:eu-west-1:123456789012:function:orders-consumer","condition":"RetryAttemptsExhausted","approximateInvokeCount":4},
"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},
"version":"1.0","timestamp":"2026-11-28T14:02:11.482Z","KinesisBatchInfo":{"shardId":"shardId-000000000003","startSequenceNumber":"%s","endSequenceNumber":"%s",
"approximateArrivalOfFirstRecord":"2026-11-28T13:58:40.117Z","approximateArrivalOfLastRecord":"2026-11-28T13:58:44.902Z","batchSize":%d,"streamArn":"%s"}}`,
		seq(0), seq(n-1), n, streamARN)
	msg, err := failure.Parse([]byte(body))
	if err != nil {
		tb.Fatal(err)
	}
	return msg
}

// jsonRecord is a 1 KiB JSON order, as a producer writes it (compact, ASCII).
func jsonRecord(i, size int) []byte {
	b := fmt.Appendf(nil, `{"orderId":"o-%06d","customerId":"c-%d","currency":"EUR","total":%d.95,"items":[`, i, i%977, i%500)
	for k := 0; len(b) < size-60; k++ {
		if k > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"sku":"SKU-%05d","qty":%d,"price":%d.5}`, (i*7+k)%99991, k%5+1, k*3)
	}
	b = append(b, `],"note":"`...)
	for len(b) < size-2 {
		b = append(b, 'x')
	}
	return append(b, `"}`...)
}

func binaryRecord(i, size int) []byte {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	b := make([]byte, 0, size+8)
	for len(b) < size {
		b = binary.LittleEndian.AppendUint64(b, r.Uint64())
	}
	return b[:size]
}

var pathCases = []struct {
	name    string
	size    int
	records int // per op: a full batch of the ESM's default size for 1 KiB, 100 for 100 KiB
	data    func(i, size int) []byte
}{
	{"1KiB-json", 1 << 10, 1000, jsonRecord},
	{"1KiB-binary", 1 << 10, 1000, binaryRecord},
	{"100KiB-binary", 100 << 10, 100, binaryRecord},
}

// bodyOnly stands in for the eventbridge client where only Hydrant's own work is measured: it
// writes the request body SerializePutEvents would send and accepts every entry, leaving out the
// SDK's middleware (endpoint, retry, the payload's SHA-256, the HTTP request). Like the client
// (publish/body.go), it writes each body into a buffer used before, here as soon as the body is
// written, there once the call has returned and the transport has closed the body; the /sdk
// cases measure the client's own reuse.
type bodyOnly struct {
	bodyBytes atomic.Int64
	bufs      sync.Pool
}

func (b *bodyOnly) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	buf, _ := b.bufs.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	*buf = publish.AppendPutEventsBody((*buf)[:0], in)
	b.bodyBytes.Add(int64(len(*buf)))
	b.bufs.Put(buf)
	return &eventbridge.PutEventsOutput{Entries: make([]ebtypes.PutEventsResultEntry, len(in.Entries))}, nil
}

// BenchmarkHydratePath reports, per record, the CPU time (all goroutines: the publisher's calls
// run concurrently), the wall time, the bytes and the allocations from the page to the request
// body.
func BenchmarkHydratePath(b *testing.B) {
	for _, tc := range pathCases {
		for _, to := range []string{"sdk", "body"} {
			b.Run(tc.name+"/"+to, func(b *testing.B) { hydratePath(b, tc.size, tc.records, tc.data, to == "sdk") })
		}
	}
}

// hydratePath is one BenchmarkHydratePath case: through the SDK's client (sdk) or to the request
// body only.
func hydratePath(b *testing.B, size, records int, data func(i, size int) []byte, sdk bool) {
	tc := struct {
		size, records int
		data          func(i, size int) []byte
	}{size, records, data}
	{
		{
			now := time.Now()
			recs := make([]ktypes.Record, tc.records)
			for i := range recs {
				recs[i] = ktypes.Record{SequenceNumber: aws.String(seq(i)), PartitionKey: aws.String("o-" + strconv.Itoa(i)), ApproximateArrivalTimestamp: &now, Data: tc.data(i, tc.size)}
			}
			msg := failureOf(b, tc.records)
			h := hydrate.New(hydrate.Config{Kinesis: streams.NewKinesisReader(memKinesis{recs}, streams.Options{})})
			tr, body := &busTransport{}, &bodyOnly{}
			var api publish.EventsAPI = eventBridge(tr)
			if !sdk {
				api = body
			}
			pub, err := publish.New(api, publish.Config{EventBusName: "hydrant-bus"})
			if err != nil {
				b.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			cpu0 := processCPU()
			b.ResetTimer()
			for b.Loop() {
				sink := hydrate.NewBusSink(pub, nil, 100)
				res, err := h.Hydrate(context.Background(), msg, sink)
				if err == nil {
					err = sink.Flush(context.Background())
				}
				if err != nil || res.Hydrated != tc.records || sink.Stats.Published != tc.records {
					b.Fatalf("hydrated %d, published %d of %d: %v", res.Hydrated, sink.Stats.Published, tc.records, err)
				}
			}
			b.StopTimer()
			cpu := processCPU() - cpu0
			runtime.ReadMemStats(&after)
			n := float64(b.N * tc.records)
			b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/record")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/record")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "B/record")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/record")
			b.ReportMetric(float64(tr.bodyBytes.Load()+body.bodyBytes.Load())/n, "body-B/record")
		}
	}
}

// sdkKinesis serves GetRecords through the SDK's kinesis client: pages are generated as the
// JSON responses Kinesis sends (base64 data), at most 10 MiB of data each, as Kinesis caps them.
type sdkKinesis struct {
	n, size int
	data    func(i, size int) []byte
}

func (k *sdkKinesis) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body.Close()
	var out bytes.Buffer
	switch target := r.Header.Get("X-Amz-Target"); target {
	case "Kinesis_20131202.GetShardIterator":
		out.WriteString(`{"ShardIterator":"0"}`)
	case "Kinesis_20131202.GetRecords":
		var in struct {
			ShardIterator string
			Limit         int
		}
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, err
		}
		i, _ := strconv.Atoi(in.ShardIterator)
		j := min(i+max(in.Limit, 1), k.n, i+(10<<20)/k.size)
		out.WriteString(`{"Records":[`)
		for x := i; x < j; x++ {
			if x > i {
				out.WriteByte(',')
			}
			fmt.Fprintf(&out, `{"SequenceNumber":"%s","PartitionKey":"o-%d","ApproximateArrivalTimestamp":1.7646e9,"Data":"%s"}`, seq(x), x, base64.StdEncoding.EncodeToString(k.data(x, k.size)))
		}
		fmt.Fprintf(&out, `],"NextShardIterator":"%d","MillisBehindLatest":0}`, j)
	default:
		return nil, fmt.Errorf("unexpected kinesis call %s", target)
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body: io.NopCloser(&out), ContentLength: int64(out.Len()), Request: r}, nil
}

// BenchmarkHydratePeakHeap hydrates a 10,000-record batch of 100 KiB records through both SDK
// clients (GetRecords pages of 10 MiB in, PutEvents calls out) and reports the peak heap in
// use above the baseline, sampled every millisecond.
func BenchmarkHydratePeakHeap(b *testing.B) {
	const n, size = 10000, 100 << 10
	kc := kinesis.New(kinesis.Options{Region: "eu-west-1", Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String("http://kinesis.bench"),
		HTTPClient: &http.Client{Transport: &sdkKinesis{n: n, size: size, data: binaryRecord}}, RetryMaxAttempts: 1})
	h := hydrate.New(hydrate.Config{Kinesis: streams.NewKinesisReader(kc, streams.Options{})})
	pub, err := publish.New(eventBridge(&busTransport{}), publish.Config{EventBusName: "hydrant-bus"})
	if err != nil {
		b.Fatal(err)
	}
	msg := failureOf(b, n)
	var peak atomic.Uint64
	runtime.GC()
	base := heapInUse()
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Millisecond)
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
		sink := hydrate.NewBusSink(pub, nil, 100)
		res, err := h.Hydrate(context.Background(), msg, sink)
		if err == nil {
			err = sink.Flush(context.Background())
		}
		if err != nil || res.Hydrated != n || sink.Stats.Published != n {
			b.Fatalf("hydrated %d, published %d of %d: %v", res.Hydrated, sink.Stats.Published, n, err)
		}
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(peak.Load()-min(base, peak.Load()))/(1<<20), "peak-heap-MiB")
}

func heapInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
