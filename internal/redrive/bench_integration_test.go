//go:build integration

package redrive_test

import (
	"bytes"
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hydrant-dev/hydrant/internal/redrive"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

// cpu is this process's user and system CPU time: the redrive itself, the SDK clients and the
// in-process consumer behind the local Lambda endpoint. The emulators (goaws, gofakes3) run
// in processes of their own, so wall time less this is, at most, theirs.
func cpu(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchRecords is the number of 1 KiB records each iteration redrives, over 4 shards.
const benchRecords = 500

func benchEvents(b *testing.B) [][]byte {
	payload := bytes.Repeat([]byte("x"), 1000)
	var out [][]byte
	for n := range benchRecords {
		out = append(out, kinesisEvent(b, streamARN("orders"), fmt.Sprintf("shardId-%012d", n%4), n, fmt.Sprint(n), append([]byte(`{"v":"`), append(payload, `"}`...)...), arrival))
	}
	return out
}

func report(b *testing.B, records int, wall, self time.Duration) {
	b.ReportMetric(float64(records)/wall.Seconds(), "records/s")
	b.ReportMetric(100*self.Seconds()/wall.Seconds(), "hydrant-cpu-%")
}

// BenchmarkRedriveQueueToFunction: 500 records from a goaws queue to a function behind the
// local Lambda API, in batches of 100 (the consumer's mapping says 3: BatchSize overrides).
func BenchmarkRedriveQueueToFunction(b *testing.B) {
	e := emulators.Get(b)
	sqsc := e.SQSClient()
	events := benchEvents(b)
	var wall, self time.Duration
	for b.Loop() {
		b.StopTimer()
		url := queue(b, sqsc, events...)
		fn := &consumer{}
		dst := redrive.NewFunctionDestination(lambdaClient(b, fn), "orders-consumer")
		dst.BatchSize = 100
		j, err := redrive.OpenJournal(b.TempDir() + "/j")
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0, c0 := time.Now(), cpu(b)
		rep, err := redrive.Run(context.Background(), redrive.NewQueueSource(sqsc, url, time.Minute), dst, redrive.Options{Journal: j})
		wall, self = wall+time.Since(t0), self+cpu(b)-c0
		if err != nil || rep.Streams[0].Redriven != benchRecords {
			b.Fatalf("redrive: %v %+v", err, rep.Streams)
		}
		j.Close()
	}
	report(b, benchRecords*b.N, wall, self)
}

// BenchmarkRedriveFromArchive: 500 records in five archive objects on gofakes3 to the same
// function.
func BenchmarkRedriveFromArchive(b *testing.B) {
	e := emulators.Get(b)
	s3c := e.S3Client()
	ctx := context.Background()
	bucket := fmt.Sprintf("bench-archive-%d", time.Now().UnixNano())
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		b.Fatal(err)
	}
	events := benchEvents(b)
	for o := range 5 {
		var body bytes.Buffer
		for _, ev := range events[o*100 : (o+1)*100] {
			body.Write(ev)
			body.WriteByte('\n')
		}
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("events/stream=orders/date=2026-12-06/part-%d", o)), Body: bytes.NewReader(body.Bytes())}); err != nil {
			b.Fatal(err)
		}
	}
	var wall, self time.Duration
	for b.Loop() {
		b.StopTimer()
		fn := &consumer{}
		dst := redrive.NewFunctionDestination(lambdaClient(b, fn), "orders-consumer")
		dst.BatchSize = 100
		j, err := redrive.OpenJournal(b.TempDir() + "/j")
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0, c0 := time.Now(), cpu(b)
		rep, err := redrive.Run(ctx, redrive.NewArchiveSource(s3c, bucket, "events/"), dst, redrive.Options{Journal: j})
		wall, self = wall+time.Since(t0), self+cpu(b)-c0
		if err != nil || rep.Streams[0].Redriven != benchRecords {
			b.Fatalf("redrive: %v %+v", err, rep.Streams)
		}
		j.Close()
	}
	report(b, benchRecords*b.N, wall, self)
}
