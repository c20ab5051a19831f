package localcloud

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hydrant-dev/hydrant/internal/localcloud/s3notify"
)

// createBucket creates a bucket on gofakes3 (reached through the notifying proxy).
func (c *Cloud) createBucket(ctx context.Context, a regArgs) (created, error) {
	name := physicalName(a, "bucket", 63, true)
	if _, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return created{}, fmt.Errorf("create bucket %s: %w", name, err)
	}
	arn := "arn:aws:s3:::" + name
	return created{id: name, outputs: map[string]any{
		"bucket": name, "arn": arn, "region": c.region,
		"bucketDomainName":         name + ".s3.amazonaws.com",
		"bucketRegionalDomainName": name + ".s3." + c.region + ".amazonaws.com",
	}, res: Resource{ARN: arn, Physical: name}}, nil
}

// createBucketNotification makes the S3 proxy send the bucket's event notifications to the
// configured queues and topics, and sends each the s3:TestEvent S3 sends when a
// configuration is set. Lambda destinations are refused: nothing runs them locally yet.
func (c *Cloud) createBucketNotification(ctx context.Context, a regArgs) (created, error) {
	bucket := a.In.str("bucket")
	if bucket == "" {
		return created{}, fmt.Errorf("bucket is required")
	}
	if len(a.In.objs("lambdaFunctions")) > 0 {
		return created{}, fmt.Errorf("lambda function notifications are not supported locally (queues and topics are)")
	}
	var cfgs []s3notify.Notification
	for _, kind := range []struct{ key, arnKey string }{{"queues", "queueArn"}, {"topics", "topicArn"}} {
		for i, q := range a.In.objs(kind.key) {
			n := s3notify.Notification{
				ID: q.str("id"), DestinationARN: q.str(kind.arnKey), Events: q.strs("events"),
				Prefix: q.str("filterPrefix"), Suffix: q.str("filterSuffix"),
			}
			if n.ID == "" {
				n.ID = fmt.Sprintf("%s-%d", a.Name, i)
			}
			if n.DestinationARN == "" || len(n.Events) == 0 {
				return created{}, fmt.Errorf("%s[%d]: %s and events are required", kind.key, i, kind.arnKey)
			}
			for _, ev := range n.Events {
				if !strings.HasPrefix(ev, "s3:ObjectCreated:") && !strings.HasPrefix(ev, "s3:ObjectRemoved:") {
					return created{}, fmt.Errorf("%s[%d]: event %s is not supported locally (ObjectCreated and ObjectRemoved are)", kind.key, i, ev)
				}
			}
			cfgs = append(cfgs, n)
		}
	}
	if err := c.s3proxy.Configure(ctx, bucket, cfgs); err != nil {
		return created{}, err
	}
	var dests []string
	for _, n := range cfgs {
		dests = append(dests, n.DestinationARN+" on "+strings.Join(n.Events, ","))
	}
	return created{id: bucket, res: Resource{Physical: bucket, Note: "notifies " + strings.Join(dests, "; ")}}, nil
}
