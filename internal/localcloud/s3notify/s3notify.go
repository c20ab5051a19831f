// Package s3notify is a reverse proxy in front of gofakes3, which keeps objects but sends no
// event notifications: after a successful object write or delete it sends S3's event
// notification (event version 2.1) to each matching queue or topic of the bucket.
package s3notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

// Notification is one queue or topic configuration of a bucket.
type Notification struct {
	ID             string
	DestinationARN string
	Events         []string // s3:ObjectCreated:*, s3:ObjectCreated:Put, ...
	Prefix, Suffix string
}

// Proxy is the local cloud's S3 endpoint: gofakes3 behind it, notifications sent by it.
type Proxy struct {
	proxy *httputil.ReverseProxy
	// head reads a created object's size and ETag from the backend, as S3 reports them in
	// the notification (a copy or a completed multipart upload carries neither in its request).
	head    func(ctx context.Context, bucket, key string) (int64, string, error)
	region  string
	account string
	sqs     *sqs.Client
	sns     *sns.Client
	log     *slog.Logger
	seq     atomic.Uint64

	mu      sync.RWMutex
	configs map[string][]Notification // by bucket
}

// New returns the proxy in front of the backend's S3 endpoint; notifications go out through q
// and t, and name account as the bucket owner.
func New(backend emulators.Endpoints, account string, q *sqs.Client, t *sns.Client, log *slog.Logger) (*Proxy, error) {
	u, err := url.Parse(backend.S3)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("S3 endpoint %q is not a URL", backend.S3)
	}
	direct := backend.S3Client()
	head := func(ctx context.Context, bucket, key string) (int64, string, error) {
		out, err := direct.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			return 0, "", err
		}
		return aws.ToInt64(out.ContentLength), aws.ToString(out.ETag), nil
	}
	return &Proxy{proxy: httputil.NewSingleHostReverseProxy(u), head: head, region: backend.Region, account: account, sqs: q, sns: t,
		log: log.With("component", "s3-notifications"), configs: map[string][]Notification{}}, nil
}

// Configure replaces the bucket's notification configuration and sends each destination the
// test event S3 sends.
func (n *Proxy) Configure(ctx context.Context, bucket string, cfgs []Notification) error {
	n.mu.Lock()
	n.configs[bucket] = cfgs
	n.mu.Unlock()
	seen := map[string]bool{}
	for _, cfg := range cfgs {
		if seen[cfg.DestinationARN] {
			continue
		}
		seen[cfg.DestinationARN] = true
		test, _ := json.Marshal(map[string]string{
			"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
			"Bucket": bucket, "RequestId": strings.ToUpper(randomHex(8)), "HostId": randomHex(24),
		})
		if err := n.send(ctx, cfg.DestinationARN, test); err != nil {
			return fmt.Errorf("bucket %s notification test event: %w", bucket, err)
		}
	}
	return nil
}

// recorder keeps the status of the proxied response.
type recorder struct {
	http.ResponseWriter
	status int
	etag   string
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.etag = r.Header().Get("ETag")
	r.ResponseWriter.WriteHeader(code)
}

func (n *Proxy) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	bucket, key := splitPath(req.URL.EscapedPath())
	event, size := n.eventOf(req, key)
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	n.proxy.ServeHTTP(rec, req)
	if event == "" || rec.status/100 != 2 {
		return
	}
	n.mu.RLock()
	cfgs := n.configs[bucket]
	n.mu.RUnlock()
	if len(cfgs) == 0 {
		return
	}
	etag := rec.etag
	if strings.HasPrefix(event, "ObjectCreated:") {
		if sz, tag, err := n.head(context.WithoutCancel(req.Context()), bucket, key); err == nil {
			size, etag = sz, tag
		} else {
			n.log.Warn("created object not readable for its notification", "bucket", bucket, "key", key, "error", err)
			size = max(size, 0)
		}
	}
	for _, cfg := range cfgs {
		if !matches(cfg, event, key) {
			continue
		}
		body := n.eventJSON(cfg, bucket, key, event, size, etag, req)
		// The write has succeeded; delivery is S3's asynchronous business, as in AWS.
		if err := n.send(context.WithoutCancel(req.Context()), cfg.DestinationARN, body); err != nil {
			n.log.Error("event notification not delivered", "bucket", bucket, "key", key, "destination", cfg.DestinationARN, "error", err)
		}
	}
}

// eventOf names the notification event of a request ("" for none) and the object size.
func (n *Proxy) eventOf(req *http.Request, key string) (string, int64) {
	if key == "" {
		return "", -1
	}
	q := req.URL.Query()
	switch req.Method {
	case http.MethodPut:
		if q.Has("partNumber") || q.Has("tagging") || q.Has("acl") || q.Has("retention") || q.Has("legal-hold") {
			return "", -1
		}
		if req.Header.Get("X-Amz-Copy-Source") != "" {
			return "ObjectCreated:Copy", -1
		}
		size := req.ContentLength
		if d := req.Header.Get("X-Amz-Decoded-Content-Length"); d != "" {
			if v, err := strconv.ParseInt(d, 10, 64); err == nil {
				size = v
			}
		}
		return "ObjectCreated:Put", size
	case http.MethodPost:
		if q.Has("uploadId") {
			return "ObjectCreated:CompleteMultipartUpload", -1
		}
	case http.MethodDelete:
		if !q.Has("uploadId") {
			return "ObjectRemoved:Delete", -1
		}
	}
	return "", -1
}

func matches(cfg Notification, event, key string) bool {
	if !strings.HasPrefix(key, cfg.Prefix) || !strings.HasSuffix(key, cfg.Suffix) {
		return false
	}
	family, _, _ := strings.Cut(event, ":")
	for _, e := range cfg.Events {
		e = strings.TrimPrefix(e, "s3:")
		if e == event || e == family+":*" {
			return true
		}
	}
	return false
}

// splitPath splits a path-style request path into the bucket and the (decoded) key.
func splitPath(escaped string) (string, string) {
	p := strings.TrimPrefix(escaped, "/")
	bucket, rawKey, _ := strings.Cut(p, "/")
	key, err := url.PathUnescape(rawKey)
	if err != nil {
		key = rawKey
	}
	return bucket, key
}

// eventJSON is S3's event notification message (event structure version 2.1).
func (n *Proxy) eventJSON(cfg Notification, bucket, key, event string, size int64, etag string, req *http.Request) []byte {
	object := map[string]any{
		// S3 URL-encodes the key in notifications (spaces as "+").
		"key":       url.QueryEscape(key),
		"sequencer": fmt.Sprintf("%016X", uint64(time.Now().UnixNano())+n.seq.Add(1)),
	}
	if strings.HasPrefix(event, "ObjectCreated:") {
		object["size"] = size
		object["eTag"] = strings.Trim(etag, `"`)
	}
	host, _, _ := strings.Cut(req.RemoteAddr, ":")
	rec := map[string]any{
		"eventVersion":      "2.1",
		"eventSource":       "aws:s3",
		"awsRegion":         n.region,
		"eventTime":         time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"eventName":         event,
		"userIdentity":      map[string]string{"principalId": "AWS:" + n.account},
		"requestParameters": map[string]string{"sourceIPAddress": host},
		"responseElements": map[string]string{
			"x-amz-request-id": strings.ToUpper(randomHex(8)), "x-amz-id-2": randomHex(32),
		},
		"s3": map[string]any{
			"s3SchemaVersion": "1.0",
			"configurationId": cfg.ID,
			"bucket": map[string]any{
				"name": bucket, "ownerIdentity": map[string]string{"principalId": n.account}, "arn": "arn:aws:s3:::" + bucket,
			},
			"object": object,
		},
	}
	b, _ := json.Marshal(map[string]any{"Records": []any{rec}})
	return b
}

// send delivers a message to a queue or topic ARN.
func (n *Proxy) send(ctx context.Context, dest string, body []byte) error {
	a, err := arn.Parse(dest)
	if err != nil || a.Resource == "" || strings.Contains(a.Resource, ":") {
		return fmt.Errorf("destination %q is not an SQS queue or SNS topic ARN", dest)
	}
	switch a.Service {
	case "sqs":
		u, err := n.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(a.Resource)})
		if err != nil {
			return fmt.Errorf("queue %s: %w", dest, err)
		}
		if _, err := n.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: u.QueueUrl, MessageBody: aws.String(string(body))}); err != nil {
			return fmt.Errorf("send to %s: %w", dest, err)
		}
	case "sns":
		if _, err := n.sns.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(dest), Message: aws.String(string(body)), Subject: aws.String("Amazon S3 Notification")}); err != nil {
			return fmt.Errorf("publish to %s: %w", dest, err)
		}
	default:
		return fmt.Errorf("destination %q is not an SQS queue or SNS topic ARN", dest)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
