package eventbus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// DeliveryStream configures a local Firehose delivery stream with an S3 destination, the
// way EventBridge archives to S3. Records (one per event) are written newline-delimited
// under Prefix, in objects named as Firehose names them
// (Prefix + YYYY/MM/DD/HH/ + stream-1-YYYY-MM-DD-HH-MM-SS-uuid), when the buffer reaches
// BufferSize bytes or BufferInterval after its first record, and on Close.
type DeliveryStream struct {
	Bucket         string
	Prefix         string
	BufferSize     int           // default 5 MiB, Firehose's default
	BufferInterval time.Duration // default 300 s, Firehose's default
}

type firehoseStream struct {
	name string
	cfg  DeliveryStream
	s    *Server

	mu     sync.Mutex
	buf    bytes.Buffer
	first  time.Time
	timer  *time.Timer
	closed bool
}

// AddDeliveryStream creates (or replaces) the delivery stream a Firehose target ARN
// (arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME) delivers to.
func (s *Server) AddDeliveryStream(name string, cfg DeliveryStream) error {
	if name == "" || cfg.Bucket == "" {
		return fmt.Errorf("add delivery stream %q: a name and a bucket are required", name)
	}
	if cfg.BufferSize <= 0 {
		cfg.BufferSize = 5 << 20
	}
	if cfg.BufferInterval <= 0 {
		cfg.BufferInterval = 300 * time.Second
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.firehoses[name] = &firehoseStream{name: name, cfg: cfg, s: s}
	return nil
}

func (s *Server) sendFirehose(ctx context.Context, t *target, body []byte) error {
	s.mu.RLock()
	f, ok := s.firehoses[t.resource]
	s.mu.RUnlock()
	if !ok {
		return noResource("delivery stream %s does not exist (configure it with AddDeliveryStream or --firehose)", t.spec.Arn)
	}
	if s.opts.S3 == nil {
		return &deliveryError{Code: "SDK_CLIENT_ERROR", Err: errors.New("the local EventBridge endpoint has no S3 client for Firehose")}
	}
	return f.put(ctx, body)
}

// put appends one record. Once accepted, the record is Firehose's responsibility, as in
// AWS: a failed write to S3 keeps the buffer for the next flush and is logged.
func (f *firehoseStream) put(ctx context.Context, record []byte) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return &deliveryError{Code: "SDK_CLIENT_ERROR", Retryable: true, Err: fmt.Errorf("delivery stream %s is closed", f.name)}
	}
	if f.buf.Len() == 0 {
		f.first = time.Now()
		f.timer = time.AfterFunc(f.cfg.BufferInterval, func() {
			if err := f.flush(context.Background()); err != nil {
				f.s.log.Error("firehose flush failed; records kept for the next flush", "stream", f.name, "error", err)
			}
		})
	}
	f.buf.Write(bytes.TrimRight(record, "\n"))
	f.buf.WriteByte('\n')
	full := f.buf.Len() >= f.cfg.BufferSize
	f.mu.Unlock()
	if full {
		if err := f.flush(ctx); err != nil {
			f.s.log.Error("firehose flush failed; records kept for the next flush", "stream", f.name, "error", err)
		}
	}
	return nil
}

func (f *firehoseStream) flush(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.buf.Len() == 0 {
		return nil
	}
	if f.timer != nil {
		f.timer.Stop()
		f.timer = nil
	}
	at := f.first.UTC()
	key := f.cfg.Prefix + at.Format("2006/01/02/15/") + f.name + "-1-" + at.Format("2006-01-02-15-04-05-") + newID()
	data := bytes.Clone(f.buf.Bytes())
	_, err := f.s.opts.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(f.cfg.Bucket), Key: aws.String(key), Body: bytes.NewReader(data),
		ContentType: aws.String("application/x-ndjson"),
	})
	if err != nil {
		// Keep the records and try again after another interval.
		f.timer = time.AfterFunc(f.cfg.BufferInterval, func() {
			if err := f.flush(context.Background()); err != nil {
				f.s.log.Error("firehose flush failed; records kept for the next flush", "stream", f.name, "error", err)
			}
		})
		return fmt.Errorf("firehose %s: put s3://%s/%s: %w", f.name, f.cfg.Bucket, key, err)
	}
	f.buf.Reset()
	f.s.log.Debug("firehose delivered", "stream", f.name, "bucket", f.cfg.Bucket, "key", key, "bytes", len(data))
	return nil
}

func (f *firehoseStream) close(ctx context.Context) error {
	err := f.flush(ctx)
	f.mu.Lock()
	f.closed = true
	if f.timer != nil {
		f.timer.Stop()
		f.timer = nil
	}
	left := f.buf.Len()
	f.mu.Unlock()
	if err != nil {
		f.s.log.Error("firehose records dropped at shutdown", "stream", f.name, "bytes", left, "error", err)
	}
	return err
}
