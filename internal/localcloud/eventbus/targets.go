package eventbus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

type targetKind int

const (
	kindSQS targetKind = iota + 1
	kindSNS
	kindBus
	kindLambda
	kindFirehose
	kindAPIDestination
)

// target is a rule's target, parsed once at PutTargets.
type target struct {
	spec       Target
	raw        json.RawMessage // as received, returned by ListTargetsByRule
	kind       targetKind
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

// parseARN splits arn:partition:service:region:account:resource.
func parseARN(arn string) (service, region, account, resource string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] == "" || parts[5] == "" {
		return "", "", "", "", false
	}
	return parts[2], parts[3], parts[4], parts[5], true
}

func (s *Server) parseTarget(n int, raw json.RawMessage) (*target, *apiError) {
	t := &target{raw: raw, maxRetries: defaultMaxRetries, maxAge: defaultMaxAge}
	if err := json.Unmarshal(raw, &t.spec); err != nil {
		return nil, &apiError{Status: 400, Code: "SerializationException", Message: fmt.Sprintf("targets.%d: %v", n, err)}
	}
	spec := &t.spec
	if !targetIDRE.MatchString(spec.ID) {
		return nil, validationError("1 validation error detected: Value '%s' at 'targets.%d.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length between 1 and 64.", spec.ID, n)
	}
	service, _, _, resource, ok := parseARN(spec.Arn)
	if !ok {
		return nil, validationError("Parameter %s is not valid for target %s: not an ARN.", spec.Arn, spec.ID)
	}
	switch {
	case service == "sqs":
		t.kind, t.resource = kindSQS, resource
		if strings.HasSuffix(resource, ".fifo") && (spec.SqsParameters == nil || spec.SqsParameters.MessageGroupID == "") {
			return nil, validationError("Parameter(s) SqsParameters must be specified for target: %s.", spec.ID)
		}
	case service == "sns":
		t.kind, t.resource = kindSNS, resource
	case service == "events" && strings.HasPrefix(resource, "event-bus/"):
		t.kind, t.resource = kindBus, strings.TrimPrefix(resource, "event-bus/")
	case service == "events" && strings.HasPrefix(resource, "api-destination/"):
		t.kind, t.resource = kindAPIDestination, strings.TrimPrefix(resource, "api-destination/")
	case service == "lambda" && strings.HasPrefix(resource, "function:"):
		t.kind, t.resource = kindLambda, strings.TrimPrefix(resource, "function:")
	case service == "firehose" && strings.HasPrefix(resource, "deliverystream/"):
		t.kind, t.resource = kindFirehose, strings.TrimPrefix(resource, "deliverystream/")
	default:
		return nil, validationError("Target %s: ARN %s is a target type the local EventBridge endpoint does not deliver to (supported: SQS, SNS, event buses, Lambda functions, Firehose delivery streams, API destinations).", spec.ID, spec.Arn)
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
	if inputs > 0 && t.kind == kindBus {
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
		if svc, _, _, res, ok := parseARN(dl.Arn); !ok || svc != "sqs" {
			return nil, validationError("DeadLetterConfig.Arn %s of target %s is not an SQS queue ARN.", dl.Arn, spec.ID)
		} else if strings.HasSuffix(res, ".fifo") {
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
		return t.transform.render(doc, ev.raw, transformContext{ruleName: ruleName, ruleARN: ruleARN, ingested: ev.ingested}), nil
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

// noSDKRetries leaves retrying to the target's RetryPolicy, as EventBridge's own attempts do.
func noSQSRetries(o *sqs.Options) { o.RetryMaxAttempts = 1 }
func noSNSRetries(o *sns.Options) { o.RetryMaxAttempts = 1 }

// queueURL resolves a queue ARN through GetQueueUrl (the emulator's URLs are its own).
func (s *Server) queueURL(ctx context.Context, queueARN string) (string, *deliveryError) {
	if s.opts.SQS == nil {
		return "", &deliveryError{Code: "SDK_CLIENT_ERROR", Err: errors.New("the local EventBridge endpoint has no SQS client configured")}
	}
	_, _, account, name, ok := parseARN(queueARN)
	if !ok {
		return "", noResource("queue ARN %s is not valid", queueARN)
	}
	in := &sqs.GetQueueUrlInput{QueueName: aws.String(name)}
	if account != "" && account != s.opts.AccountID {
		in.QueueOwnerAWSAccountId = aws.String(account)
	}
	out, err := s.opts.SQS.GetQueueUrl(ctx, in, noSQSRetries)
	if err != nil {
		var missing *sqstypes.QueueDoesNotExist
		if errors.As(err, &missing) {
			return "", noResource("queue %s does not exist: %v", queueARN, err)
		}
		return "", classifyAWS(fmt.Errorf("get queue url %s: %w", queueARN, err))
	}
	return aws.ToString(out.QueueUrl), nil
}

func (s *Server) sendSQS(ctx context.Context, t *target, ev *busEvent, body []byte) error {
	url, derr := s.queueURL(ctx, t.spec.Arn)
	if derr != nil {
		return derr
	}
	in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(body))}
	if strings.HasSuffix(t.resource, ".fifo") {
		in.MessageGroupId = aws.String(t.spec.SqsParameters.MessageGroupID)
		// EventBridge deduplicates FIFO deliveries by event id.
		in.MessageDeduplicationId = aws.String(ev.id)
	}
	if _, err := s.opts.SQS.SendMessage(ctx, in, noSQSRetries); err != nil {
		return classifyAWS(fmt.Errorf("send message to %s: %w", t.spec.Arn, err))
	}
	return nil
}

func (s *Server) sendSNS(ctx context.Context, t *target, body []byte) error {
	if s.opts.SNS == nil {
		return &deliveryError{Code: "SDK_CLIENT_ERROR", Err: errors.New("the local EventBridge endpoint has no SNS client configured")}
	}
	if _, err := s.opts.SNS.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(t.spec.Arn), Message: aws.String(string(body))}, noSNSRetries); err != nil {
		return classifyAWS(fmt.Errorf("publish to %s: %w", t.spec.Arn, err))
	}
	return nil
}

func (s *Server) sendLambda(ctx context.Context, t *target, body []byte) error {
	s.mu.RLock()
	fn, ok := s.functions[t.spec.Arn]
	s.mu.RUnlock()
	if !ok {
		return noResource("function %s is not registered with the local EventBridge endpoint", t.spec.Arn)
	}
	if err := fn(ctx, body); err != nil {
		return &deliveryError{Code: "ERROR_FROM_TARGET", Retryable: true, Err: fmt.Errorf("invoke %s: %w", t.spec.Arn, err)}
	}
	return nil
}

// sendBus puts the event, unchanged and with the same id, on another bus of this endpoint.
func (s *Server) sendBus(t *target, ev *busEvent) error {
	s.mu.RLock()
	b, ok := s.buses[t.resource]
	s.mu.RUnlock()
	if !ok {
		return noResource("event bus %s does not exist", t.spec.Arn)
	}
	if ev.hops >= maxBusHops {
		return &deliveryError{Code: "SDK_CLIENT_ERROR", Err: fmt.Errorf("event %s has crossed %d buses; the bus-to-bus loop stops here", ev.id, ev.hops)}
	}
	next := &busEvent{id: ev.id, time: ev.time, ingested: ev.ingested, raw: ev.raw, hops: ev.hops + 1}
	s.archiveEvent(b, next)
	s.route(b, next, nil)
	return nil
}

// maxBusHops stops an event that rules send round a cycle of buses.
const maxBusHops = 8

func (s *Server) sendAPIDestination(ctx context.Context, t *target, body []byte) error {
	s.mu.RLock()
	d, ok := s.destinations[t.spec.Arn]
	var conn *connection
	if ok {
		conn = s.connections[d.connectionArn]
	}
	s.mu.RUnlock()
	if !ok {
		return noResource("API destination %s does not exist", t.spec.Arn)
	}
	endpoint := d.endpoint
	params := t.spec.HTTPParameters
	if params != nil {
		for _, v := range params.PathParameterValues {
			endpoint = strings.Replace(endpoint, "*", url.PathEscape(v), 1)
		}
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return noResource("API destination %s endpoint %q: %v", t.spec.Arn, endpoint, err)
	}
	q := u.Query()
	if params != nil {
		for k, v := range params.QueryStringParameters {
			q.Set(k, v)
		}
	}
	var method = d.method
	var reqBody *bytes.Reader
	if method == http.MethodGet || method == http.MethodHead || method == http.MethodDelete {
		reqBody = bytes.NewReader(nil)
	} else {
		reqBody = bytes.NewReader(body)
	}
	if conn != nil {
		conn.applyQuery(q)
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), reqBody)
	if err != nil {
		return noResource("API destination %s: %v", t.spec.Arn, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Amazon/EventBridge/ApiDestinations")
	if params != nil {
		for k, v := range params.HeaderParameters {
			req.Header.Set(k, v)
		}
	}
	if conn != nil {
		conn.applyHeaders(req.Header)
	}
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return noResource("API destination %s: %v", t.spec.Arn, err)
		}
		return &deliveryError{Code: "SDK_CLIENT_ERROR", Retryable: true, Err: fmt.Errorf("call API destination %s: %w", t.spec.Arn, err)}
	}
	resp.Body.Close()
	if resp.StatusCode < 300 {
		return nil
	}
	// EventBridge retries 401, 407, 409, 429 and 5xx from an API destination, not other 4xx.
	retry := resp.StatusCode >= 500 || resp.StatusCode == 401 || resp.StatusCode == 407 || resp.StatusCode == 409 || resp.StatusCode == 429
	code := "ERROR_FROM_TARGET"
	if resp.StatusCode == 429 {
		code = "THROTTLING"
	}
	return &deliveryError{Code: code, Retryable: retry, Err: fmt.Errorf("API destination %s answered %s", t.spec.Arn, resp.Status)}
}
