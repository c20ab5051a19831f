package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/smithy-go"
	"github.com/hydrant-dev/hydrant/internal/targetkind"
)

// deliverer sends one event (body is the target's input for it) to a target of one kind.
type deliverer func(s *Server, ctx context.Context, t *target, ev *busEvent, body []byte) error

// deliverers has a deliverer for each kind of the targetkind registry, each in its own file
// (target_<kind>.go); TestEveryRegisteredKindIsDelivered keeps the two in step.
var deliverers = map[targetkind.Kind]deliverer{
	targetkind.SQS:            (*Server).sendSQS,
	targetkind.SNS:            (*Server).sendSNS,
	targetkind.EventBus:       (*Server).sendBus,
	targetkind.Lambda:         (*Server).sendLambda,
	targetkind.Firehose:       (*Server).sendFirehose,
	targetkind.APIDestination: (*Server).sendAPIDestination,
}

// TargetKinds lists the kinds of target the endpoint delivers to.
func TargetKinds() []targetkind.Kind {
	kinds := make([]targetkind.Kind, 0, len(deliverers))
	for _, s := range targetkind.All() {
		if _, ok := deliverers[s.Kind]; ok {
			kinds = append(kinds, s.Kind)
		}
	}
	return kinds
}

// target is a rule's target, parsed once at PutTargets.
type target struct {
	spec       Target
	raw        json.RawMessage // as received, returned by ListTargetsByRule
	kind       targetkind.Kind
	resource   string // queue, topic, bus, function, stream name
	transform  *transformer
	inputPath  *jsonPath
	maxRetries int
	maxAge     time.Duration
}

// EventBridge's default retry policy: 185 attempts over 24 hours.
const (
	defaultMaxRetries = 185
	defaultMaxAge     = 24 * time.Hour
)

// checkTargetID answers a bad target Id as AWS does, one constraint per message part
// (LocalStack test_put_target_id_validation, recorded 08-01-2025).
func checkTargetID(id string, n int) *apiError {
	var failed []string
	if !nameCharsRE.MatchString(id) {
		failed = append(failed, fmt.Sprintf("Value '%s' at 'targets.%d.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+", id, n))
	}
	if len(id) > 64 {
		failed = append(failed, fmt.Sprintf("Value '%s' at 'targets.%d.member.id' failed to satisfy constraint: Member must have length less than or equal to 64", id, n))
	}
	return constraintErrors(failed)
}

func (s *Server) parseTarget(n int, raw json.RawMessage) (*target, *apiError) {
	t := &target{raw: raw, maxRetries: defaultMaxRetries, maxAge: defaultMaxAge}
	if err := json.Unmarshal(raw, &t.spec); err != nil {
		return nil, &apiError{Status: 400, Code: "SerializationException", Message: fmt.Sprintf("targets.%d: %v", n, err)}
	}
	spec := &t.spec
	if aerr := checkTargetID(spec.ID, n); aerr != nil {
		return nil, aerr
	}
	kind, resource, err := targetkind.Parse(spec.Arn)
	switch {
	case errors.Is(err, targetkind.ErrNotARN):
		return nil, validationError("Parameter %s is not valid for target %s: not an ARN.", spec.Arn, spec.ID)
	case err != nil || deliverers[kind] == nil:
		return nil, validationError("Target %s: ARN %s is a target type the local EventBridge endpoint does not deliver to (supported: %s).", spec.ID, spec.Arn, targetkind.Labels())
	}
	t.kind, t.resource = kind, resource
	if kind == targetkind.SQS && strings.HasSuffix(resource, ".fifo") && (spec.SqsParameters == nil || spec.SqsParameters.MessageGroupID == "") {
		return nil, validationError("Parameter(s) SqsParameters must be specified for target: %s.", spec.ID)
	}
	inputs := 0
	for _, set := range []bool{spec.Input != nil, spec.InputPath != nil, spec.InputTransformer != nil} {
		if set {
			inputs++
		}
	}
	if inputs > 1 {
		return nil, validationError("Only one of Input, InputPath, or InputTransformer must be provided for target %s.", spec.ID)
	}
	if inputs > 0 && t.kind == targetkind.EventBus {
		return nil, validationError("Target %s: Input, InputPath and InputTransformer are not supported for event bus targets; the event is sent on as it is.", spec.ID)
	}
	if spec.Input != nil && !json.Valid([]byte(*spec.Input)) {
		return nil, validationError("Input for target %s is not valid JSON.", spec.ID)
	}
	if spec.InputPath != nil {
		jp, err := parseJSONPath(*spec.InputPath)
		if err != nil {
			return nil, validationError("InputPath for target %s is not valid: %v.", spec.ID, err)
		}
		t.inputPath = jp
	}
	if spec.InputTransformer != nil {
		tr, err := newTransformer(spec.InputTransformer)
		if err != nil {
			return nil, validationError("InputTemplate for target %s %v.", spec.ID, err)
		}
		t.transform = tr
	}
	if rp := spec.RetryPolicy; rp != nil {
		if v := rp.MaximumRetryAttempts; v != nil {
			if *v < 0 || *v > 185 {
				return nil, validationError("1 validation error detected: Value '%d' at 'targets.%d.member.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value between 0 and 185", *v, n)
			}
			t.maxRetries = *v
		}
		if v := rp.MaximumEventAgeInSeconds; v != nil {
			if *v < 60 || *v > 86400 {
				return nil, validationError("1 validation error detected: Value '%d' at 'targets.%d.member.retryPolicy.maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 86400", *v, n)
			}
			t.maxAge = time.Duration(*v) * time.Second
		}
	}
	if dl := spec.DeadLetterConfig; dl != nil && dl.Arn != "" {
		if q, err := arn.Parse(dl.Arn); err != nil || q.Service != "sqs" || q.Resource == "" {
			return nil, validationError("DeadLetterConfig.Arn %s of target %s is not an SQS queue ARN.", dl.Arn, spec.ID)
		} else if strings.HasSuffix(q.Resource, ".fifo") {
			return nil, validationError("DeadLetterConfig.Arn %s of target %s is a FIFO queue; EventBridge dead-letter queues must be standard queues.", dl.Arn, spec.ID)
		}
	}
	return t, nil
}

// input is what the target receives for an event: the event itself, the constant Input, the
// InputPath selection or the InputTransformer's rendering.
func (t *target) input(ev *busEvent, ruleName, ruleARN string) ([]byte, error) {
	switch {
	case t.spec.Input != nil:
		return []byte(*t.spec.Input), nil
	case t.inputPath != nil:
		doc, err := ev.doc()
		if err != nil {
			return nil, err
		}
		v, ok := t.inputPath.eval(doc)
		if !ok {
			return []byte("null"), nil
		}
		return json.Marshal(v)
	case t.transform != nil:
		doc, err := ev.doc()
		if err != nil {
			return nil, err
		}
		return t.transform.render(doc, ev.raw, transformContext{ruleName: ruleName, ruleARN: ruleARN, ingested: ev.ingested})
	default:
		return ev.raw, nil
	}
}

// deliveryError is a failed delivery classified as EventBridge classifies it: the ERROR_CODE
// its dead-letter messages carry, and whether the retry policy applies. Missing resources and
// missing permissions are not retried.
type deliveryError struct {
	Code      string
	Retryable bool
	Err       error
}

func (e *deliveryError) Error() string { return e.Code + ": " + e.Err.Error() }

func (e *deliveryError) Unwrap() error { return e.Err }

func noResource(format string, args ...any) *deliveryError {
	return &deliveryError{Code: "NO_RESOURCE", Err: fmt.Errorf(format, args...)}
}

// classifyAWS classifies an error from an AWS SDK call to a target service.
func classifyAWS(err error) *deliveryError {
	var api smithy.APIError
	if errors.As(err, &api) {
		code := api.ErrorCode()
		switch {
		case strings.Contains(code, "NonExistent") || strings.Contains(code, "NotFound") || code == "QueueDoesNotExist" || code == "NoSuchBucket":
			return &deliveryError{Code: "NO_RESOURCE", Err: err}
		case strings.Contains(code, "AccessDenied") || strings.Contains(code, "AuthorizationError") || code == "KMSAccessDeniedException":
			return &deliveryError{Code: "NO_PERMISSIONS", Err: err}
		case strings.Contains(code, "Throttl") || code == "RequestThrottled" || code == "SlowDown":
			return &deliveryError{Code: "THROTTLING", Retryable: true, Err: err}
		}
		var re interface{ HTTPStatusCode() int }
		if errors.As(err, &re) && re.HTTPStatusCode() >= 400 && re.HTTPStatusCode() < 500 {
			return &deliveryError{Code: "SDK_CLIENT_ERROR", Err: err}
		}
		return &deliveryError{Code: "ERROR_FROM_TARGET", Retryable: true, Err: err}
	}
	// No answer from the service at all: connection refused, DNS, timeout.
	return &deliveryError{Code: "SDK_CLIENT_ERROR", Retryable: true, Err: err}
}
