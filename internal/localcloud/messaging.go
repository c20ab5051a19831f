package localcloud

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// createQueue creates an SQS queue on goaws with the attributes goaws honours (visibility
// timeout, redrive policy, maximum message size, delay, receive wait); encryption and
// retention are accepted and not enforced.
func (c *Cloud) createQueue(ctx context.Context, a regArgs) (created, error) {
	fifo := a.In.boolean("fifoQueue")
	name := a.In.str("name")
	if name == "" {
		if p := a.In.str("namePrefix"); p != "" {
			name = p + randomHex(4)
		} else {
			name = physicalName(a, "name", 75, false)
		}
		if fifo {
			name += ".fifo"
		}
	}
	attrs := map[string]string{}
	for key, attr := range map[string]string{
		"visibilityTimeoutSeconds": string(sqstypes.QueueAttributeNameVisibilityTimeout),
		"maxMessageSize":           string(sqstypes.QueueAttributeNameMaximumMessageSize),
		"messageRetentionSeconds":  string(sqstypes.QueueAttributeNameMessageRetentionPeriod),
		"delaySeconds":             string(sqstypes.QueueAttributeNameDelaySeconds),
		"receiveWaitTimeSeconds":   string(sqstypes.QueueAttributeNameReceiveMessageWaitTimeSeconds),
	} {
		if v, ok := a.In.num(key); ok {
			attrs[attr] = strconv.Itoa(v)
		}
	}
	if rp := a.In.str("redrivePolicy"); rp != "" {
		attrs[string(sqstypes.QueueAttributeNameRedrivePolicy)] = rp
	}
	if fifo {
		attrs[string(sqstypes.QueueAttributeNameFifoQueue)] = "true"
	}
	c.goawsMu.Lock()
	defer c.goawsMu.Unlock()
	out, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return created{}, fmt.Errorf("create queue %s: %w", name, err)
	}
	got, err := c.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return created{}, fmt.Errorf("queue %s attributes: %w", name, err)
	}
	arn := got.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	// The URL AWS gives (endpoint/account/name) on the local endpoint, so that it can be dialled.
	url := c.sqsURL + "/" + AccountID + "/" + name
	note := ""
	if rp := a.In.str("redrivePolicy"); rp != "" {
		note = "redrive " + rp
	}
	return created{id: url, outputs: map[string]any{"arn": arn, "url": url, "name": name},
		res: Resource{ARN: arn, Physical: name, Note: note}}, nil
}

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
		arn := topic + ":" + randomUUID()
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

// randomUUID is a version 4 UUID.
func randomUUID() string {
	h := randomHex(16)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}
