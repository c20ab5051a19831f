// Package targetkind is the one registry of the EventBridge target kinds Hydrant works with:
// the kinds its infrastructure creates (infra/hydrantinfra) and the local EventBridge endpoint
// delivers to (internal/localcloud/eventbus), each with the ARN shape that identifies it.
//
// A new kind is added here first; the tests of both users then say what each still lacks.
package targetkind

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Kind names a target kind; its value is the word a stack's configuration uses.
type Kind string

// The kinds.
const (
	SQS            Kind = "sqs"
	SNS            Kind = "sns"
	EventBus       Kind = "eventbus" // another bus, in this or another account
	Lambda         Kind = "lambda"
	Firehose       Kind = "firehose"
	APIDestination Kind = "apidestination"
)

// Spec is one kind: the service and resource prefix of its ARNs, and how messages name it.
type Spec struct {
	Kind    Kind
	Label   string // in messages: "SQS", "Lambda functions", ...
	Service string // the ARN's service
	Prefix  string // the start of the ARN's resource, before the resource's name
}

// specs is the registry, in the order messages list the kinds.
var specs = [...]Spec{
	{SQS, "SQS", "sqs", ""},
	{SNS, "SNS", "sns", ""},
	{EventBus, "event buses", "events", "event-bus/"},
	{Lambda, "Lambda functions", "lambda", "function:"},
	{Firehose, "Firehose delivery streams", "firehose", "deliverystream/"},
	{APIDestination, "API destinations", "events", "api-destination/"},
}

// All returns every kind's spec.
func All() []Spec { return append([]Spec(nil), specs[:]...) }

// Labels lists the kinds as messages name them ("SQS, SNS, event buses, ...").
func Labels() string {
	l := make([]string, len(specs))
	for i, s := range specs {
		l[i] = s.Label
	}
	return strings.Join(l, ", ")
}

// ErrNotARN is Parse's error for a string that is not an ARN.
var ErrNotARN = errors.New("not an ARN")

// ErrUnsupported is Parse's error for an ARN of no registered kind.
var ErrUnsupported = errors.New("not a supported target kind")

// Parse returns the kind of a target ARN and the name of its resource (the queue, topic, bus,
// function, delivery stream or API destination).
func Parse(target string) (Kind, string, error) {
	a, err := arn.Parse(target)
	if err != nil || a.Service == "" || a.Resource == "" {
		return "", "", fmt.Errorf("target %q: %w", target, ErrNotARN)
	}
	for _, s := range specs {
		if name, ok := strings.CutPrefix(a.Resource, s.Prefix); a.Service == s.Service && ok {
			return s.Kind, name, nil
		}
	}
	return "", "", fmt.Errorf("target %q: %w (supported: %s)", target, ErrUnsupported, Labels())
}
