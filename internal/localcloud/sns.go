package localcloud

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/google/uuid"
)

// createTopic creates an SNS topic on goaws.
func (c *Cloud) createTopic(ctx context.Context, a regArgs) (created, error) {
	name := physicalName(a, "name", 256, false)
	if a.In.boolean("fifoTopic") && !strings.HasSuffix(name, ".fifo") {
		name += ".fifo"
	}
	c.goawsMu.Lock()
	defer c.goawsMu.Unlock()
	out, err := c.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		return created{}, fmt.Errorf("create topic %s: %w", name, err)
	}
	arn := aws.ToString(out.TopicArn)
	return created{id: arn, outputs: map[string]any{"arn": arn, "name": name}, res: Resource{ARN: arn, Physical: name}}, nil
}

// createSubscription subscribes an SQS queue to a topic on goaws (raw delivery honoured);
// e-mail and other protocols are accepted and listed, since nothing local can receive them.
func (c *Cloud) createSubscription(ctx context.Context, a regArgs) (created, error) {
	topic, protocol, endpoint := a.In.str("topic"), a.In.str("protocol"), a.In.str("endpoint")
	if topic == "" || protocol == "" || endpoint == "" {
		return created{}, fmt.Errorf("topic, protocol and endpoint are required")
	}
	if protocol != "sqs" {
		arn := topic + ":" + uuid.NewString()
		return created{id: arn, outputs: map[string]any{"arn": arn},
			res: Resource{ARN: arn, Mode: ModeAccepted, Note: fmt.Sprintf("%s subscription to %s: listed, not delivered locally", protocol, endpoint)}}, nil
	}
	c.goawsMu.Lock()
	defer c.goawsMu.Unlock()
	out, err := c.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String(protocol), Endpoint: aws.String(endpoint)})
	if err != nil {
		return created{}, fmt.Errorf("subscribe %s to %s: %w", endpoint, topic, err)
	}
	arn := aws.ToString(out.SubscriptionArn)
	note := "sqs " + endpoint
	if a.In.boolean("rawMessageDelivery") {
		if _, err := c.sns.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{
			SubscriptionArn: aws.String(arn), AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("true"),
		}); err != nil {
			return created{}, fmt.Errorf("subscription %s raw delivery: %w", arn, err)
		}
		note += " (raw)"
	}
	if a.In.str("redrivePolicy") != "" {
		note += "; redrive policy accepted, not enforced locally"
	}
	return created{id: arn, outputs: map[string]any{"arn": arn}, res: Resource{ARN: arn, Note: note}}, nil
}
