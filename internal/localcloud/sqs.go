package localcloud

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
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
