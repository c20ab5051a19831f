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

	// Partition, when set, evaluates each record's S3 prefix (a custom prefix with Firehose's
	// dynamic partitioning expressions): records are buffered per prefix, and an object is
	// named <prefix><stream>-1-YYYY-MM-DD-HH-MM-SS-uuid without the default YYYY/MM/DD/HH/
	// folders, which a custom prefix replaces. A record it fails on goes under ErrorPrefix.
	Partition   func(record []byte) (string, error)
	ErrorPrefix string
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

	// custom: the prefix is a partition's evaluated prefix (no time folders); parts are the
	// partitions of a stream with Partition set.
	custom bool
	parts  map[string]*firehoseStream
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
	return f.partition(body).put(ctx, body)
}

// partition returns the stream buffering the record: f itself, or the record's partition.
func (f *firehoseStream) partition(record []byte) *firehoseStream {
	if f.cfg.Partition == nil {
		return f
	}
	prefix, err := f.cfg.Partition(record)
	if err != nil {
		f.s.log.Warn("firehose partitioning failed; record written under the error prefix", "stream", f.name, "error", err)
		prefix = f.cfg.ErrorPrefix
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.parts[prefix]
	if !ok {
		cfg := f.cfg
		cfg.Prefix, cfg.Partition = prefix, nil
		p = &firehoseStream{name: f.name, cfg: cfg, s: f.s, custom: true, closed: f.closed}
		if f.parts == nil {
			f.parts = map[string]*firehoseStream{}
		}
		f.parts[prefix] = p
	}
	return p
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
	folders := at.Format("2006/01/02/15/")
	if f.custom {
		folders = ""
	}
	key := f.cfg.Prefix + folders + f.name + "-1-" + at.Format("2006-01-02-15-04-05-") + newID()
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
	f.mu.Lock()
	if f.cfg.Partition != nil {
		// A partitioned stream buffers nothing itself; partitions made from now on are closed.
		f.closed = true
	}
	parts := make([]*firehoseStream, 0, len(f.parts))
	for _, p := range f.parts {
		parts = append(parts, p)
	}
	f.mu.Unlock()
	var partErrs []error
	for _, p := range parts {
		partErrs = append(partErrs, p.close(ctx))
	}
	if err := errors.Join(partErrs...); err != nil {
		return errors.Join(err, f.close1(ctx))
	}
	return f.close1(ctx)
}

func (f *firehoseStream) close1(ctx context.Context) error {
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
