package intake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hydrant-dev/hydrant/internal/awsclient"
	"github.com/hydrant-dev/hydrant/internal/emf"
	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/hydrate"
	"github.com/hydrant-dev/hydrant/internal/publish"
	"github.com/hydrant-dev/hydrant/internal/streams"
)

// Services are the parts a hydration needs, wired from one aws.Config: the Lambda handler
// and `hydrant hydrate --publish` use the same.
type Services struct {
	Hydrator   *hydrate.Hydrator
	Publisher  *publish.Publisher  // nil without an event bus: the events can then only be printed
	ClaimCheck *publish.ClaimCheck // nil without a claim-check bucket

	readThrottles *atomic.Int64
	dlq           SQSAPI // moves refused failure records to the intake DLQ
	dlqURL        string
}

// NewServices builds the clients (each honouring AWS_ENDPOINT_URL_<SERVICE> through awsCfg)
// and the hydration pipeline for cfg. Without cfg.EventBus there is no publisher (`hydrant
// hydrate` only prints the events).
func NewServices(awsCfg aws.Config, cfg Config, log *slog.Logger) (*Services, error) {
	throttles := new(atomic.Int64)
	retryer := streams.CountThrottles(streams.NewRetryer(streams.DefaultBackoff(), streams.DefaultMaxAttempts), throttles)
	s3c := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.UsePathStyle = true
		// S3-compatible stores (and some S3 paths) send no checksum; that is not worth a log line per object.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	var admit hydrate.Admitter
	if cfg.Trust != nil {
		// S3 failure objects are checked against the mapping their key names.
		cfg.Trust.VerifyMappingsWith(lambda.NewFromConfig(awsCfg))
		admit = cfg.Trust.Admit
	} else {
		log.Warn("no " + EnvTrustedStreams + ": failure records of every stream are admitted")
	}
	s := &Services{
		Hydrator: hydrate.New(hydrate.Config{
			Admit:    admit,
			Kinesis:  streams.NewKinesisReader(kinesis.NewFromConfig(awsCfg), streams.Options{Retryer: retryer, Logger: log}),
			DynamoDB: streams.NewDynamoDBReader(dynamodbstreams.NewFromConfig(awsCfg), streams.Options{Retryer: retryer, Logger: log}),
			Objects:  s3c,
			Source:   cfg.Source,
			Logger:   log,
		}),
		readThrottles: throttles,
		dlqURL:        cfg.IntakeDLQURL,
	}
	if cfg.IntakeDLQURL != "" {
		s.dlq = awsclient.SQS(awsCfg)
	}
	if cfg.EventBus != "" {
		pub, err := publish.New(eventbridge.NewFromConfig(awsCfg, publish.SerializePutEvents), publish.Config{
			EventBusName: cfg.EventBus,
			MaxEntrySize: cfg.MaxEntrySize,
			Concurrency:  cfg.Concurrency,
		})
		if err != nil {
			return nil, err
		}
		s.Publisher = pub
	}
	var err error
	if cfg.ClaimCheckBucket != "" {
		if s.ClaimCheck, err = publish.NewClaimCheck(s3c, cfg.ClaimCheckBucket); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ErrNoEventBus is returned by NewSink when the services were built without an event bus.
var ErrNoEventBus = errors.New("no event bus configured")

// NewSink returns a sink that publishes through the services' publisher and claim check.
func (s *Services) NewSink() (*hydrate.BusSink, error) {
	if s.Publisher == nil {
		return nil, ErrNoEventBus
	}
	var store hydrate.ObjectStore
	if s.ClaimCheck != nil {
		store = s.ClaimCheck
	}
	return hydrate.NewBusSink(s.Publisher, store, 100), nil
}

// ReadThrottles is how many reads were throttled (and retried) so far.
func (s *Services) ReadThrottles() int64 { return s.readThrottles.Load() }

// Handler is the hydrate function: it handles a batch of intake-queue messages.
type Handler struct {
	svc     *Services
	log     *slog.Logger
	metrics *emf.Metrics
	out     io.Writer // where EMF records go: stdout in Lambda
	now     func() time.Time

	concurrency int           // messages handled at once
	margin      time.Duration // no message is started with less time than this left
}

// Defaults of the handler's options.
const (
	DefaultMessageConcurrency = 4
	DefaultDeadlineMargin     = 10 * time.Second
)

// NoDeadlineMargin as HandlerOptions.DeadlineMargin starts messages up to the deadline.
const NoDeadlineMargin time.Duration = -1

// HandlerOptions tune a Handler. Zero values take the defaults.
type HandlerOptions struct {
	// MessageConcurrency is how many messages of a batch are handled at once (default 4).
	// Reads of different shards proceed side by side; reads of one shard share its throughput.
	MessageConcurrency int
	// DeadlineMargin is the time before the invocation's deadline under which no message is
	// started (default 10 s, at most a quarter of the invocation's time; NoDeadlineMargin:
	// none): such messages are reported as batch item failures, untouched, and SQS redelivers
	// them to a later invocation.
	DeadlineMargin time.Duration
}

// NewHandler returns the handler; metrics are written to out as EMF records.
func NewHandler(svc *Services, log *slog.Logger, metrics *emf.Metrics, out io.Writer, opts HandlerOptions) *Handler {
	h := &Handler{svc: svc, log: log, metrics: metrics, out: out, now: time.Now,
		concurrency: DefaultMessageConcurrency, margin: DefaultDeadlineMargin}
	if opts.MessageConcurrency > 0 {
		h.concurrency = opts.MessageConcurrency
	}
	if opts.DeadlineMargin != 0 {
		h.margin = max(opts.DeadlineMargin, 0)
	}
	return h
}

// outcome is what handling one message came to.
type outcome struct {
	res        hydrate.Result
	stats      hydrate.SinkStats
	err        error
	notStarted bool
}

// Handle processes the batch, up to the handler's concurrency of messages at once, and returns
// the ids of the messages to redeliver. It never fails the whole batch: a message that cannot
// be processed is reported on its own, so the others are not redelivered with it.
//
// It keeps an eye on the invocation's deadline, since a timed-out invocation has the whole
// batch redelivered, the messages already published included: no message is started with less
// than the margin left, and messages still running shortly before the deadline are cut short.
// Both are reported as batch item failures, so the handler always answers in time.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	requestID := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		requestID = lc.AwsRequestID
	}
	throttlesBefore := h.svc.ReadThrottles()

	work, startBy, cancel := h.workContext(ctx)
	defer cancel()
	outcomes := h.handleAll(work, startBy, ev.Records, requestID)

	var total hydrate.Result
	var sinkStats hydrate.SinkStats
	failed, deferred, refused := 0, 0, 0
	for i, m := range ev.Records {
		o := outcomes[i]
		log := h.log.With(slog.String("requestId", requestID), slog.String("messageId", m.MessageId))
		total.Hydrated += o.res.Hydrated
		total.Failed += o.res.Failed
		total.Bytes += o.res.Bytes
		sinkStats.Offloaded += o.stats.Offloaded
		sinkStats.Retried += o.stats.Retried
		var refusal *hydrate.RefusedError
		if errors.As(o.err, &refusal) {
			// Untrusted input: never published, never retried into publication, never dropped.
			if moveErr := h.svc.refuse(ctx, m, refusal); moveErr != nil {
				o.err = fmt.Errorf("%w; %w", o.err, moveErr)
			} else {
				refused++
				log.Error("failure record refused and moved to the intake DLQ", slog.String("reason", refusal.Reason),
					slog.String("detail", refusal.Detail), slog.String("senderId", m.Attributes["SenderId"]))
				continue
			}
		}
		switch {
		case o.notStarted:
			deferred++
			log.Warn("intake message not started: the invocation's deadline is near; SQS will redeliver it",
				slog.Duration("margin", h.margin), slog.String("receiveCount", m.Attributes["ApproximateReceiveCount"]))
		case o.err != nil && errors.Is(o.err, context.DeadlineExceeded) && work.Err() != nil:
			failed++
			log.Error("intake message cut short before the invocation's deadline; SQS will redeliver it",
				slog.String("error", o.err.Error()), slog.String("receiveCount", m.Attributes["ApproximateReceiveCount"]))
		case o.err != nil:
			failed++
			log.Error("intake message not processed; SQS will redeliver it, then move it to the intake DLQ",
				slog.String("error", o.err.Error()), slog.String("receiveCount", m.Attributes["ApproximateReceiveCount"]))
		default:
			continue
		}
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
	}
	h.metrics.Add("RecordsHydrated", emf.Count, float64(total.Hydrated))
	h.metrics.Add("RecordsFailed", emf.Count, float64(total.Failed))
	h.metrics.Add("BytesHydrated", emf.Bytes, float64(total.Bytes))
	h.metrics.Add("RecordsOffloaded", emf.Count, float64(sinkStats.Offloaded))
	h.metrics.Add("PublishRetries", emf.Count, float64(sinkStats.Retried))
	h.metrics.Add("ReadThrottles", emf.Count, float64(h.svc.ReadThrottles()-throttlesBefore))
	h.metrics.Add("MessagesFailed", emf.Count, float64(failed))
	h.metrics.Add("MessagesDeferred", emf.Count, float64(deferred))
	h.metrics.Add("MessagesRefused", emf.Count, float64(refused))
	if err := h.metrics.Flush(h.out, h.now()); err != nil {
		h.log.Warn("metrics not written", slog.String("error", err.Error()))
	}
	return resp, nil
}

// workContext returns the context messages run in and the time after which no message is
// started; without a deadline, ctx and zero. The margin is capped at a quarter of the time the
// invocation has, so that a short function timeout still lets messages start; running messages
// are cut a quarter of the margin (at most 1 s) before the deadline, which leaves the time to
// report them and write the metrics.
func (h *Handler) workContext(ctx context.Context) (context.Context, time.Time, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return ctx, time.Time{}, func() {}
	}
	margin := min(h.margin, deadline.Sub(h.now())/4)
	work, cancel := context.WithDeadline(ctx, deadline.Add(-min(margin/4, time.Second)))
	return work, deadline.Add(-margin), cancel
}

// handleAll handles the messages, up to h.concurrency at once, starting none after startBy
// (zero: no limit) or once work is done; those are marked notStarted.
func (h *Handler) handleAll(work context.Context, startBy time.Time, msgs []events.SQSMessage, requestID string) []outcome {
	outcomes := make([]outcome, len(msgs))
	mayStart := func() bool { return work.Err() == nil && (startBy.IsZero() || h.now().Before(startBy)) }
	slots := make(chan struct{}, h.concurrency)
	var wg sync.WaitGroup
	for i, m := range msgs {
		started := false
		if mayStart() {
			select {
			case slots <- struct{}{}:
				// Waiting for a slot took time: look at the clock again.
				if started = mayStart(); !started {
					<-slots
				}
			case <-work.Done():
			}
		}
		if !started {
			for j := i; j < len(msgs); j++ {
				outcomes[j].notStarted = true
			}
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			log := h.log.With(slog.String("requestId", requestID), slog.String("messageId", m.MessageId))
			o := &outcomes[i]
			o.res, o.stats, o.err = h.handleMessage(work, m, log)
		}()
	}
	wg.Wait()
	return outcomes
}

func (h *Handler) handleMessage(ctx context.Context, m events.SQSMessage, log *slog.Logger) (hydrate.Result, hydrate.SinkStats, error) {
	msg, err := failure.Parse([]byte(m.Body))
	if err != nil {
		return hydrate.Result{}, hydrate.SinkStats{}, fmt.Errorf("parse failure record: %w", err)
	}
	msg.SenderID = m.Attributes["SenderId"]
	if msg.TestEvent != nil {
		log.Info("S3 test event acknowledged", slog.String("bucket", msg.TestEvent.Bucket))
		return hydrate.Result{}, hydrate.SinkStats{}, nil
	}
	sink, err := h.svc.NewSink()
	if err != nil {
		return hydrate.Result{}, hydrate.SinkStats{}, err
	}
	res, err := h.svc.Hydrator.Hydrate(ctx, msg, sink)
	if err == nil {
		err = sink.Flush(ctx)
	}
	if err != nil {
		return res, sink.Stats, fmt.Errorf("hydrate: %w", err)
	}
	log.Info("intake message processed", slog.String("destination", string(msg.Destination)), slog.Int("hydrated", res.Hydrated),
		slog.Int("failed", res.Failed), slog.Int("published", sink.Stats.Published), slog.Int("offloaded", sink.Stats.Offloaded))
	return res, sink.Stats, nil
}
