package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/uuid"
	"github.com/hydrant-dev/hydrant/internal/localcloud/firehose"
)

// Limits EventBridge enforces that the endpoint enforces too.
const (
	// DefaultMaxEntrySize is the PutEvents limit the EventBridge documentation states (256 KiB);
	// AWS announced 1 MiB in January 2026, which Options.MaxEntrySize can select.
	DefaultMaxEntrySize = 256 * 1024
	maxEntriesPerCall   = 10
	maxRulesPerBus      = 300
	maxTargetsPerRule   = 5
	maxRequestBody      = 8 << 20
)

// SQSAPI is what delivery needs from SQS: resolve a queue ARN's URL and send to it.
type SQSAPI interface {
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// SNSAPI is what delivery needs from SNS.
type SNSAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Options configure a Server. The zero value of every field has a usable default, except
// the clients: a target whose service has no client fails delivery (and is dead-lettered
// or logged as dropped).
type Options struct {
	Region    string // default us-east-1
	AccountID string // default 000000000000, as goaws uses

	// MaxEntrySize is the PutEvents limit on the summed entry sizes of one call, computed
	// with AWS's formula. Default DefaultMaxEntrySize.
	MaxEntrySize int

	SQS SQSAPI
	SNS SNSAPI
	S3  firehose.S3API // what Firehose delivery streams write with

	// HTTPClient calls API destinations. Default: a client with a 5 s timeout, as
	// EventBridge gives an API destination.
	HTTPClient *http.Client

	// Workers is the size of the delivery worker pool. Default 8.
	Workers int

	// RetryBaseDelay is the first retry's backoff; each retry doubles it, up to RetryMaxDelay,
	// and the delay is jittered between half and all of it. Defaults 1 s and 3 min; tests set
	// a millisecond.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration

	// ReplaySliceDelay is the pause between the STARTING, RUNNING and COMPLETED states of a
	// replay, so that a client can observe them. Default 100 ms.
	ReplaySliceDelay time.Duration

	Logger *slog.Logger
}

// Server is the local EventBridge endpoint. Create it with New, serve it as an http.Handler,
// and Close it to finish deliveries and flush Firehose buffers.
type Server struct {
	opts Options
	log  *slog.Logger

	mu           sync.RWMutex
	buses        map[string]*bus
	archives     map[string]*archive
	replays      map[string]*replay
	connections  map[string]*connection
	destinations map[string]*apiDestination
	functions    map[string]func(ctx context.Context, event []byte) error
	firehoses    map[string]*firehose.Stream

	delivery *dispatcher
}

// New returns a Server with the account's default event bus.
func New(opts Options) *Server {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	if opts.MaxEntrySize <= 0 {
		opts.MaxEntrySize = DefaultMaxEntrySize
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.RetryBaseDelay <= 0 {
		opts.RetryBaseDelay = time.Second
	}
	if opts.RetryMaxDelay <= 0 {
		opts.RetryMaxDelay = 3 * time.Minute
	}
	if opts.ReplaySliceDelay <= 0 {
		opts.ReplaySliceDelay = 100 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{
		opts:         opts,
		log:          opts.Logger.With("component", "eventbus"),
		buses:        map[string]*bus{},
		archives:     map[string]*archive{},
		replays:      map[string]*replay{},
		connections:  map[string]*connection{},
		destinations: map[string]*apiDestination{},
		functions:    map[string]func(context.Context, []byte) error{},
		firehoses:    map[string]*firehose.Stream{},
	}
	now := time.Now().UTC()
	s.buses[defaultBus] = &bus{name: defaultBus, arn: s.busARN(defaultBus), created: now, modified: now, rules: map[string]*rule{}}
	s.delivery = newDispatcher(s, opts.Workers)
	return s
}

// RegisterFunction makes fn the in-process Lambda function behind a function ARN: a target
// with that ARN is invoked asynchronously with the (transformed) event. An error from fn is
// a failed invocation, retried by the target's retry policy.
func (s *Server) RegisterFunction(arn string, fn func(ctx context.Context, event []byte) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.functions[arn] = fn
}

// Idle waits until no delivery is pending: every event routed so far has been delivered,
// dead-lettered or dropped, retries included (PutEvents routes before it returns). It returns
// ctx's error if ctx ends first. Unlike Close it leaves the endpoint running.
func (s *Server) Idle(ctx context.Context) error {
	select {
	case <-s.delivery.pending.zero():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for pending deliveries: %w", ctx.Err())
	}
}

// Close waits for pending deliveries (including scheduled retries) until ctx ends, then stops
// the workers, logs any event still undelivered as dropped, and flushes the Firehose buffers
// to S3. It returns the flush errors.
func (s *Server) Close(ctx context.Context) error {
	s.delivery.close(ctx)
	s.mu.RLock()
	streams := make([]*firehose.Stream, 0, len(s.firehoses))
	for _, f := range s.firehoses {
		streams = append(streams, f)
	}
	s.mu.RUnlock()
	var errs []error
	flushCtx := context.WithoutCancel(ctx)
	for _, f := range streams {
		if err := f.Close(flushCtx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

type handlerFunc func(s *Server, ctx context.Context, body []byte) (any, *apiError)

// operation returns the handler of an EventBridge operation, or nil.
func operation(name string) handlerFunc {
	switch name {
	case "CreateEventBus":
		return (*Server).createEventBus
	case "DescribeEventBus":
		return (*Server).describeEventBus
	case "DeleteEventBus":
		return (*Server).deleteEventBus
	case "ListEventBuses":
		return (*Server).listEventBuses
	case "PutRule":
		return (*Server).putRule
	case "DescribeRule":
		return (*Server).describeRule
	case "ListRules":
		return (*Server).listRules
	case "DeleteRule":
		return (*Server).deleteRule
	case "EnableRule":
		return (*Server).enableRule
	case "DisableRule":
		return (*Server).disableRule
	case "PutTargets":
		return (*Server).putTargets
	case "ListTargetsByRule":
		return (*Server).listTargetsByRule
	case "RemoveTargets":
		return (*Server).removeTargets
	case "PutEvents":
		return (*Server).putEvents
	case "TestEventPattern":
		return (*Server).testEventPattern
	case "CreateArchive":
		return (*Server).createArchive
	case "DescribeArchive":
		return (*Server).describeArchive
	case "ListArchives":
		return (*Server).listArchives
	case "StartReplay":
		return (*Server).startReplay
	case "DescribeReplay":
		return (*Server).describeReplay
	case "CreateConnection":
		return (*Server).createConnection
	case "CreateApiDestination":
		return (*Server).createAPIDestination
	case "DescribeApiDestination":
		return (*Server).describeAPIDestination
	}
	return nil
}

// ServeHTTP answers one EventBridge API call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "AWSEvents.")
	if r.Method != http.MethodPost || !ok {
		writeError(w, &apiError{Status: http.StatusBadRequest, Code: "UnknownOperationException",
			Message: fmt.Sprintf("expected POST with X-Amz-Target: AWSEvents.<Operation>, got %s with X-Amz-Target %q", r.Method, target)})
		return
	}
	h := operation(op)
	if h == nil {
		writeError(w, &apiError{Status: http.StatusBadRequest, Code: "UnknownOperationException",
			Message: fmt.Sprintf("operation %s is not supported by the local EventBridge endpoint", op)})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		writeError(w, validationError("read request body: %v", err))
		return
	}
	if len(body) > maxRequestBody {
		writeError(w, &apiError{Status: http.StatusRequestEntityTooLarge, Code: "ValidationException", Message: "Request body is too large."})
		return
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	out, aerr := h(s, r.Context(), body)
	if aerr != nil {
		s.log.Debug("request refused", "operation", op, "code", aerr.Code, "message", aerr.Message)
		writeError(w, aerr)
		return
	}
	data, err := json.Marshal(out)
	if err != nil {
		writeError(w, internalError(fmt.Errorf("encode %s response: %w", op, err)))
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", uuid.NewString())
	_, _ = w.Write(data)
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", uuid.NewString())
	w.WriteHeader(e.Status)
	data, _ := json.Marshal(map[string]string{"__type": e.Code, "message": e.Message})
	_, _ = w.Write(data)
}

// decode unmarshals a request body, turning a malformed one into the SerializationException
// AWS returns.
func decode(body []byte, v any) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		return &apiError{Status: http.StatusBadRequest, Code: "SerializationException", Message: err.Error()}
	}
	return nil
}

type empty struct{}
