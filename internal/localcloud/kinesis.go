package localcloud

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// createStream creates a Kinesis stream on kinesis-local and waits until it is ACTIVE.
// Server-side encryption is accepted and not applied (no KMS locally).
func (c *Cloud) createStream(ctx context.Context, a regArgs) (created, error) {
	name := physicalName(a, "name", 128, false)
	in := &kinesis.CreateStreamInput{StreamName: aws.String(name)}
	mode := "PROVISIONED"
	if m := a.In.obj("streamModeDetails"); m != nil && m.str("streamMode") != "" {
		mode = m.str("streamMode")
	}
	if mode == "ON_DEMAND" {
		in.StreamModeDetails = &kintypes.StreamModeDetails{StreamMode: kintypes.StreamModeOnDemand}
	} else {
		n, ok := a.In.num("shardCount")
		if !ok || n < 1 {
			return created{}, fmt.Errorf("shardCount is required for a PROVISIONED stream")
		}
		in.ShardCount = aws.Int32(int32(n))
	}
	if _, err := c.kin.CreateStream(ctx, in); err != nil {
		return created{}, fmt.Errorf("create stream %s: %w", name, err)
	}
	w := kinesis.NewStreamExistsWaiter(c.kin, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := w.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)}, time.Minute); err != nil {
		return created{}, fmt.Errorf("stream %s did not become active: %w", name, err)
	}
	if h, ok := a.In.num("retentionPeriod"); ok && h > 24 {
		if _, err := c.kin.IncreaseStreamRetentionPeriod(ctx, &kinesis.IncreaseStreamRetentionPeriodInput{StreamName: aws.String(name), RetentionPeriodHours: aws.Int32(int32(h))}); err != nil {
			return created{}, fmt.Errorf("stream %s retention: %w", name, err)
		}
	}
	sum, err := c.kin.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
	if err != nil {
		return created{}, fmt.Errorf("describe stream %s: %w", name, err)
	}
	arn := aws.ToString(sum.StreamDescriptionSummary.StreamARN)
	note := fmt.Sprintf("%s, %d shard(s)", mode, aws.ToInt32(sum.StreamDescriptionSummary.OpenShardCount))
	if a.In.str("encryptionType") == "KMS" {
		note += "; KMS encryption accepted, not applied locally"
	}
	return created{id: arn, outputs: map[string]any{"arn": arn, "name": name}, res: Resource{ARN: arn, Physical: name, Note: note}}, nil
}
