package intake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/s3"

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
	s := &Services{
		Hydrator: hydrate.New(hydrate.Config{
			Kinesis:  streams.NewKinesisReader(kinesis.NewFromConfig(awsCfg), streams.WithRetryer(retryer), streams.WithLogger(log)),
			DynamoDB: streams.NewDynamoDBReader(dynamodbstreams.NewFromConfig(awsCfg), streams.WithRetryer(retryer), streams.WithLogger(log)),
			Objects:  s3c,
			Source:   cfg.Source,
			Logger:   log,
		}),
		readThrottles: throttles,
	}
	if cfg.EventBus != "" {
		pub, err := publish.New(eventbridge.NewFromConfig(awsCfg), publish.Config{
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
}

// NewHandler returns the handler; metrics are written to out as EMF records.
func NewHandler(svc *Services, log *slog.Logger, metrics *emf.Metrics, out io.Writer) *Handler {
	return &Handler{svc: svc, log: log, metrics: metrics, out: out, now: time.Now}
}

// Handle processes the batch message by message and returns the ids of the messages to
// redeliver. It never fails the whole batch: a message that cannot be processed is reported
// on its own, so the others are not redelivered with it.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	requestID := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		requestID = lc.AwsRequestID
	}
	throttlesBefore := h.svc.ReadThrottles()
	var total hydrate.Result
	var sinkStats hydrate.SinkStats
	for _, m := range ev.Records {
		log := h.log.With(slog.String("requestId", requestID), slog.String("messageId", m.MessageId))
		res, st, err := h.handleMessage(ctx, m, log)
		total.Hydrated += res.Hydrated
		total.Failed += res.Failed
		total.Bytes += res.Bytes
		sinkStats.Offloaded += st.Offloaded
		sinkStats.Retried += st.Retried
		if err != nil {
			log.Error("intake message not processed; SQS will redeliver it, then move it to the intake DLQ",
				slog.String("error", err.Error()), slog.String("receiveCount", m.Attributes["ApproximateReceiveCount"]))
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	h.metrics.Add("RecordsHydrated", emf.Count, float64(total.Hydrated))
	h.metrics.Add("RecordsFailed", emf.Count, float64(total.Failed))
	h.metrics.Add("BytesHydrated", emf.Bytes, float64(total.Bytes))
	h.metrics.Add("RecordsOffloaded", emf.Count, float64(sinkStats.Offloaded))
	h.metrics.Add("PublishRetries", emf.Count, float64(sinkStats.Retried))
	h.metrics.Add("ReadThrottles", emf.Count, float64(h.svc.ReadThrottles()-throttlesBefore))
	h.metrics.Add("MessagesFailed", emf.Count, float64(len(resp.BatchItemFailures)))
	if err := h.metrics.Flush(h.out, h.now()); err != nil {
		h.log.Warn("metrics not written", slog.String("error", err.Error()))
	}
	return resp, nil
}

func (h *Handler) handleMessage(ctx context.Context, m events.SQSMessage, log *slog.Logger) (hydrate.Result, hydrate.SinkStats, error) {
	msg, err := failure.Parse([]byte(m.Body))
	if err != nil {
		return hydrate.Result{}, hydrate.SinkStats{}, fmt.Errorf("parse failure record: %w", err)
	}
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
