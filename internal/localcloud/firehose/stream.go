package firehose

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"
)

// Config configures a local Firehose delivery stream with an S3 destination, the way
// EventBridge archives to S3. Records (one per event) are written newline-delimited
// under Prefix, in objects named as Firehose names them
// (Prefix + YYYY/MM/DD/HH/ + stream-1-YYYY-MM-DD-HH-MM-SS-uuid), when the buffer reaches
// BufferSize bytes or BufferInterval after its first record, and on Close.
type Config struct {
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

// Stream is a delivery stream: Put records, Close to flush them.
type Stream struct {
	name string
	cfg  Config
	s3   S3API
	log  *slog.Logger

	mu     sync.Mutex
	buf    bytes.Buffer
	first  time.Time
	timer  *time.Timer
	closed bool

	// custom: the prefix is a partition's evaluated prefix (no time folders); parts are the
	// partitions of a stream with Partition set.
	custom bool
	parts  map[string]*Stream
}

// S3API is what a delivery stream needs from S3.
type S3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// ErrClosed is Put's error once the stream is closed.
var ErrClosed = errors.New("delivery stream is closed")

// New returns the delivery stream name, writing to S3 with client.
func New(name string, cfg Config, client S3API, log *slog.Logger) (*Stream, error) {
	if name == "" || cfg.Bucket == "" {
		return nil, fmt.Errorf("add delivery stream %q: a name and a bucket are required", name)
	}
	if cfg.BufferSize <= 0 {
		cfg.BufferSize = 5 << 20
	}
	if cfg.BufferInterval <= 0 {
		cfg.BufferInterval = 300 * time.Second
	}
	return &Stream{name: name, cfg: cfg, s3: client, log: log}, nil
}

// Put buffers one record, in its partition's buffer when the stream partitions.
func (f *Stream) Put(ctx context.Context, record []byte) error {
	return f.partition(record).put(ctx, record)
}

// partition returns the stream buffering the record: f itself, or the record's partition.
func (f *Stream) partition(record []byte) *Stream {
	if f.cfg.Partition == nil {
		return f
	}
	prefix, err := f.cfg.Partition(record)
	if err != nil {
		f.log.Warn("firehose partitioning failed; record written under the error prefix", "stream", f.name, "error", err)
		prefix = f.cfg.ErrorPrefix
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.parts[prefix]
	if !ok {
		cfg := f.cfg
		cfg.Prefix, cfg.Partition = prefix, nil
		p = &Stream{name: f.name, cfg: cfg, s3: f.s3, log: f.log, custom: true, closed: f.closed}
		if f.parts == nil {
			f.parts = map[string]*Stream{}
		}
		f.parts[prefix] = p
	}
	return p
}

// put appends one record. Once accepted, the record is Firehose's responsibility, as in
// AWS: a failed write to S3 keeps the buffer for the next flush and is logged.
func (f *Stream) put(ctx context.Context, record []byte) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return fmt.Errorf("put to %s: %w", f.name, ErrClosed)
	}
	if f.buf.Len() == 0 {
		f.first = time.Now()
		f.timer = time.AfterFunc(f.cfg.BufferInterval, func() {
			if err := f.flush(context.Background()); err != nil {
				f.log.Error("firehose flush failed; records kept for the next flush", "stream", f.name, "error", err)
			}
		})
	}
	f.buf.Write(bytes.TrimRight(record, "\n"))
	f.buf.WriteByte('\n')
	full := f.buf.Len() >= f.cfg.BufferSize
	f.mu.Unlock()
	if full {
		if err := f.flush(ctx); err != nil {
			f.log.Error("firehose flush failed; records kept for the next flush", "stream", f.name, "error", err)
		}
	}
	return nil
}

func (f *Stream) flush(ctx context.Context) error {
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
	key := f.cfg.Prefix + folders + f.name + "-1-" + at.Format("2006-01-02-15-04-05-") + uuid.NewString()
	data := bytes.Clone(f.buf.Bytes())
	_, err := f.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(f.cfg.Bucket), Key: aws.String(key), Body: bytes.NewReader(data),
		ContentType: aws.String("application/x-ndjson"),
	})
	if err != nil {
		// Keep the records and try again after another interval.
		f.timer = time.AfterFunc(f.cfg.BufferInterval, func() {
			if err := f.flush(context.Background()); err != nil {
				f.log.Error("firehose flush failed; records kept for the next flush", "stream", f.name, "error", err)
			}
		})
		return fmt.Errorf("firehose %s: put s3://%s/%s: %w", f.name, f.cfg.Bucket, key, err)
	}
	f.buf.Reset()
	f.log.Debug("firehose delivered", "stream", f.name, "bucket", f.cfg.Bucket, "key", key, "bytes", len(data))
	return nil
}

// Close flushes the buffers to S3 and closes the stream (and its partitions).
func (f *Stream) Close(ctx context.Context) error {
	f.mu.Lock()
	if f.cfg.Partition != nil {
		// A partitioned stream buffers nothing itself; partitions made from now on are closed.
		f.closed = true
	}
	parts := make([]*Stream, 0, len(f.parts))
	for _, p := range f.parts {
		parts = append(parts, p)
	}
	f.mu.Unlock()
	var partErrs []error
	for _, p := range parts {
		partErrs = append(partErrs, p.Close(ctx))
	}
	if err := errors.Join(partErrs...); err != nil {
		return errors.Join(err, f.close1(ctx))
	}
	return f.close1(ctx)
}

func (f *Stream) close1(ctx context.Context) error {
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
		f.log.Error("firehose records dropped at shutdown", "stream", f.name, "bytes", left, "error", err)
	}
	return err
}
