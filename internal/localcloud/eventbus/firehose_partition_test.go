//go:build integration

package eventbus_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/hydrant-dev/hydrant/internal/localcloud/firehose"
)

// With Partition set, each record lands under its own evaluated prefix, without the default
// time folders; a record the function fails on goes under ErrorPrefix.
func TestFirehosePartitionedPrefixes(t *testing.T) {
	h := newHarness(t)
	bucket := strings.ToLower(h.name("parts"))
	if _, err := h.s3.CreateBucket(h.ctx(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	partition := func(record []byte) (string, error) {
		var ev struct {
			Detail struct {
				Team string `json:"team"`
			} `json:"detail"`
		}
		if err := json.Unmarshal(record, &ev); err != nil || ev.Detail.Team == "" {
			return "", errors.New("no team")
		}
		return "events/team=" + ev.Detail.Team + "/", nil
	}
	if err := h.srv.AddDeliveryStream("parted", firehose.Config{Bucket: bucket, Partition: partition, ErrorPrefix: "errors/", BufferInterval: time.Hour}); err != nil {
		t.Fatal(err)
	}
	h.rule("default", h.name("fh"), `{"source":["`+h.prefix+`"]}`)
	h.targets("default", h.name("fh"), ebtypes.Target{Id: aws.String("fh"), Arn: aws.String("arn:aws:firehose:us-east-1:000000000000:deliverystream/parted")})
	for _, d := range []string{`{"team":"a"}`, `{"team":"b"}`, `{"team":"a"}`, `{}`} {
		h.put(entry("default", h.prefix, "thing", d))
	}
	// Close waits for the (asynchronous) deliveries to the stream, then flushes it to S3.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.srv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, key := range h.objects(bucket) {
		prefix := key[:strings.LastIndex(key, "/")+1]
		if !strings.HasPrefix(key[len(prefix):], "parted-1-") {
			t.Errorf("object %s: want <prefix>parted-1-...", key)
		}
		got[prefix]++
	}
	want := map[string]int{"events/team=a/": 1, "events/team=b/": 1, "errors/": 1}
	if len(got) != len(want) {
		t.Fatalf("objects by prefix %v, want %v", got, want)
	}
	for p, n := range want {
		if got[p] != n {
			t.Errorf("objects under %s: %d, want %d (all %v)", p, got[p], n, got)
		}
	}
}
