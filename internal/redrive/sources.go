package redrive

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// QueueAPI is the part of the SQS client a queue source uses.
type QueueAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// QueueSource reads Hydrant events from an SQS queue: a team's queue, the catch-all queue or
// a target's DLQ (EventBridge delivers the event's JSON as the message body).
type QueueSource struct {
	client QueueAPI
	url    string
	// visibility keeps received messages reserved for the run; they are deleted when
	// redriven and made visible again (visibility 0) when not.
	visibility time.Duration
	// emptyReceives ends the drain: SQS's short receives sample a subset of its servers, so
	// one empty answer does not prove the queue empty.
	emptyReceives int
	empties       int
}

// NewQueueSource reads the queue at url. visibility is how long received messages stay
// reserved; it must outlast the run (a message reappearing mid-run is deduplicated by the
// journal, not lost).
func NewQueueSource(client QueueAPI, url string, visibility time.Duration) *QueueSource {
	if visibility <= 0 {
		visibility = 15 * time.Minute
	}
	return &QueueSource{client: client, url: url, visibility: visibility, emptyReceives: 3}
}

func (q *QueueSource) String() string { return q.url }

// Receive takes up to ten messages.
func (q *QueueSource) Receive(ctx context.Context) ([]Message, error) {
	for q.empties < q.emptyReceives {
		out, err := q.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(q.url),
			MaxNumberOfMessages: 10,
			VisibilityTimeout:   int32(q.visibility / time.Second),
			WaitTimeSeconds:     1,
		})
		if err != nil {
			return nil, fmt.Errorf("receive from %s: %w", q.url, err)
		}
		if len(out.Messages) == 0 {
			q.empties++
			continue
		}
		q.empties = 0
		msgs := make([]Message, len(out.Messages))
		for i, m := range out.Messages {
			msgs[i] = Message{ID: aws.ToString(m.MessageId), Body: []byte(aws.ToString(m.Body)), handle: aws.ToString(m.ReceiptHandle)}
		}
		return msgs, nil
	}
	return nil, nil
}

// Delete deletes messages, ten at a time; an entry SQS refuses is an error naming it.
func (q *QueueSource) Delete(ctx context.Context, msgs []Message) error {
	return q.batches(msgs, func(chunk []Message) error {
		in := &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(q.url)}
		for i, m := range chunk {
			in.Entries = append(in.Entries, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: aws.String(m.handle)})
		}
		out, err := q.client.DeleteMessageBatch(ctx, in)
		if err != nil {
			return fmt.Errorf("delete from %s: %w", q.url, err)
		}
		return batchFailures("delete", q.url, chunk, out.Failed)
	})
}

// Release makes messages visible again at once. It is one call per message: goaws, the
// local emulator, has no ChangeMessageVisibilityBatch, and releases are few (what a run did
// not select or could not send).
func (q *QueueSource) Release(ctx context.Context, msgs []Message) error {
	var errs []error
	for _, m := range msgs {
		_, err := q.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(q.url), ReceiptHandle: aws.String(m.handle), VisibilityTimeout: 0})
		if err != nil && !notInFlight(err) {
			errs = append(errs, fmt.Errorf("release message %s to %s: %w", m.ID, q.url, err))
		}
	}
	return errors.Join(errs...)
}

// notInFlight is SQS's answer for a message whose visibility timeout already ran out: it is
// visible again, which is what a release wants.
func notInFlight(err error) bool {
	var nif *sqstypes.MessageNotInflight
	var api smithy.APIError
	return errors.As(err, &nif) || (errors.As(err, &api) && strings.HasSuffix(api.ErrorCode(), "MessageNotInFlight"))
}

func (q *QueueSource) batches(msgs []Message, f func([]Message) error) error {
	for len(msgs) > 0 {
		n := min(10, len(msgs))
		if err := f(msgs[:n]); err != nil {
			return err
		}
		msgs = msgs[n:]
	}
	return nil
}

func batchFailures(op, url string, chunk []Message, failed []sqstypes.BatchResultErrorEntry) error {
	var errs []error
	for _, f := range failed {
		var i int
		if _, err := fmt.Sscan(aws.ToString(f.Id), &i); err != nil || i < 0 || i >= len(chunk) {
			errs = append(errs, fmt.Errorf("%s on %s: unknown entry %q: %s", op, url, aws.ToString(f.Id), aws.ToString(f.Message)))
			continue
		}
		errs = append(errs, fmt.Errorf("%s message %s on %s: %s: %s", op, chunk[i].ID, url, aws.ToString(f.Code), aws.ToString(f.Message)))
	}
	return errors.Join(errs...)
}

// ArchiveAPI is the part of the S3 client the archive source and the offload fetcher use.
type ArchiveAPI interface {
	s3.ListObjectsV2APIClient
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// ArchiveSource reads Hydrant events from the S3 archive: the Firehose objects under
// events/stream=<name>/date=<day>/, one event per line, GZIP-compressed in AWS (plain
// locally; both are read). Nothing is deleted from the archive: the journal is what keeps a
// second run from sending a record again.
type ArchiveSource struct {
	client ArchiveAPI
	bucket string
	prefix string
	pages  *s3.ListObjectsV2Paginator
	keys   []string
}

// NewArchiveSource reads the objects under s3://bucket/prefix.
func NewArchiveSource(client ArchiveAPI, bucket, prefix string) *ArchiveSource {
	return &ArchiveSource{client: client, bucket: bucket, prefix: prefix,
		pages: s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})}
}

func (a *ArchiveSource) String() string { return "s3://" + a.bucket + "/" + a.prefix }

// Receive returns the events of the next object.
func (a *ArchiveSource) Receive(ctx context.Context) ([]Message, error) {
	for {
		if len(a.keys) == 0 {
			if !a.pages.HasMorePages() {
				return nil, nil
			}
			page, err := a.pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list %s: %w", a, err)
			}
			for _, o := range page.Contents {
				a.keys = append(a.keys, aws.ToString(o.Key))
			}
			continue
		}
		key := a.keys[0]
		a.keys = a.keys[1:]
		msgs, err := a.object(ctx, key)
		if err != nil {
			return nil, err
		}
		if len(msgs) > 0 {
			return msgs, nil
		}
	}
}

func (a *ArchiveSource) object(ctx context.Context, key string) ([]Message, error) {
	out, err := a.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(a.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get s3://%s/%s: %w", a.bucket, key, err)
	}
	defer out.Body.Close()
	br := bufio.NewReader(out.Body)
	var r io.Reader = br
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gunzip s3://%s/%s: %w", a.bucket, key, err)
		}
		defer gz.Close()
		r = gz
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 2<<20) // an event is at most 1 MiB
	var msgs []Message
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		msgs = append(msgs, Message{ID: fmt.Sprintf("s3://%s/%s#%d", a.bucket, key, line), Body: bytes.Clone(b)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", a.bucket, key, err)
	}
	return msgs, nil
}

// Delete does nothing: the archive keeps every event.
func (a *ArchiveSource) Delete(context.Context, []Message) error { return nil }

// Release does nothing: the archive keeps every event.
func (a *ArchiveSource) Release(context.Context, []Message) error { return nil }
