package esm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Clients are the SDK clients the pollers use; only those a mapping needs
// must be set (Kinesis for a Kinesis source, SQS for an SQS source or
// destination, ...).
type Clients struct {
	Kinesis         KinesisAPI
	DynamoDBStreams DynamoDBStreamsAPI
	SQS             SQSAPI
	SNS             SNSAPI
	S3              S3API
}

// Options tune the pollers. Zero values take the defaults.
type Options struct {
	// PollInterval is the wait after an empty poll (default 200 ms; Lambda
	// polls DynamoDB shards 4 times a second and Kinesis shards once a
	// second).
	PollInterval time.Duration
	// RetryDelay is the wait before retrying a failed batch (default 100 ms;
	// AWS's backoff is not documented).
	RetryDelay time.Duration
	// ShardDiscoveryInterval is how often the shard list is read to find new
	// (child) shards (default 1 s).
	ShardDiscoveryInterval time.Duration
	// Logger gets errors and discarded batches (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock records' ages and failure timestamps are measured
	// with (default time.Now); tests move it forward to age records.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.PollInterval <= 0 {
		o.PollInterval = 200 * time.Millisecond
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = 100 * time.Millisecond
	}
	if o.ShardDiscoveryInterval <= 0 {
		o.ShardDiscoveryInterval = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Mappings runs event source mappings until Close.
type Mappings struct {
	clients Clients
	opts    Options

	mu       sync.Mutex
	mappings map[string]*Mapping
	closed   bool
}

// New returns a manager with no mappings.
func New(c Clients, o Options) *Mappings {
	return &Mappings{clients: c, opts: o.withDefaults(), mappings: map[string]*Mapping{}}
}

// ErrClosed is returned by Add after Close.
var ErrClosed = errors.New("event source mappings closed")

// Add validates cfg, resolves the source (shards or queue) and the on-failure
// destination with ctx, starts the mapping's pollers (unless Enabled is
// false) and returns it. A mapping with StartingPosition LATEST sees every
// record written after Add returns. Errors are *ConfigError for a refused
// configuration, or name the AWS call that failed.
func (m *Mappings) Add(ctx context.Context, cfg Config, fn Function) (*Mapping, error) {
	if fn == nil {
		return nil, cfgErr("FunctionName", "no function to invoke")
	}
	s, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	if s.UUID == "" {
		s.UUID = uuid.NewString()
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, ErrClosed
	}
	if _, dup := m.mappings[s.UUID]; dup {
		m.mu.Unlock()
		return nil, cfgErr("UUID", "a mapping %s already exists", s.UUID)
	}
	m.mu.Unlock()

	mp := &Mapping{s: s, fn: fn, opts: m.opts,
		log: m.opts.Logger.With("esm", s.UUID, "source", s.EventSourceARN)}
	mp.state.Store(stateCreating)
	if s.destination != nil {
		if mp.dest, err = newDestination(ctx, m.clients, *s.destination, s.UUID); err != nil {
			return nil, fmt.Errorf("event source mapping %s: %w", s.UUID, err)
		}
	}
	var start func(run, hard context.Context)
	switch s.kind {
	case SourceKinesis:
		if m.clients.Kinesis == nil {
			return nil, fmt.Errorf("event source mapping %s: no Kinesis client", s.UUID)
		}
		src := &kinesisSource{client: m.clients.Kinesis, streamARN: s.EventSourceARN, region: s.source.Region, roleARN: s.ExecutionRoleARN}
		start, err = mp.prepareStream(ctx, src)
	case SourceDynamoDB:
		if m.clients.DynamoDBStreams == nil {
			return nil, fmt.Errorf("event source mapping %s: no DynamoDB Streams client", s.UUID)
		}
		src := &dynamoDBSource{client: m.clients.DynamoDBStreams, streamARN: s.EventSourceARN, region: s.source.Region}
		start, err = mp.prepareStream(ctx, src)
	case SourceSQS:
		if m.clients.SQS == nil {
			return nil, fmt.Errorf("event source mapping %s: no SQS client", s.UUID)
		}
		start, err = mp.prepareSQS(ctx, m.clients.SQS)
	}
	if err != nil {
		return nil, fmt.Errorf("event source mapping %s: %w", s.UUID, err)
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	if _, dup := m.mappings[s.UUID]; dup {
		return nil, cfgErr("UUID", "a mapping %s already exists", s.UUID)
	}
	m.mappings[s.UUID] = mp
	if !s.enabled {
		mp.state.Store(stateDisabled)
		return mp, nil
	}
	// The pollers outlive Add's context: they run until Remove or Close.
	hard, hardCancel := context.WithCancel(context.Background())
	run, runCancel := context.WithCancel(hard)
	mp.stopRun, mp.stopHard = runCancel, hardCancel
	mp.state.Store(stateEnabled)
	mp.wg.Go(func() { start(run, hard) })
	return mp, nil
}

// Get returns the mapping with this UUID.
func (m *Mappings) Get(id string) (*Mapping, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mp, ok := m.mappings[id]
	return mp, ok
}

// List returns the mappings, ordered by UUID.
func (m *Mappings) List() []*Mapping {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Mapping, 0, len(m.mappings))
	for _, mp := range m.mappings {
		out = append(out, mp)
	}
	slices.SortFunc(out, func(a, b *Mapping) int {
		if a.s.UUID < b.s.UUID {
			return -1
		}
		if a.s.UUID > b.s.UUID {
			return 1
		}
		return 0
	})
	return out
}

// Remove stops a mapping (see Mapping.stop) and forgets it.
func (m *Mappings) Remove(ctx context.Context, id string) error {
	m.mu.Lock()
	mp, ok := m.mappings[id]
	delete(m.mappings, id)
	m.mu.Unlock()
	if !ok {
		return fmt.Errorf("remove event source mapping %s: no such mapping", id)
	}
	return mp.stop(ctx)
}

// Close stops every mapping: pollers stop fetching and retrying, in-flight
// invocations and on-failure deliveries finish. When ctx ends first, the
// functions' contexts are cancelled and Close returns ctx's error once the
// pollers have returned.
func (m *Mappings) Close(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	all := make([]*Mapping, 0, len(m.mappings))
	for _, mp := range m.mappings {
		all = append(all, mp)
	}
	m.mu.Unlock()
	var wg sync.WaitGroup
	errs := make([]error, len(all))
	for i, mp := range all {
		wg.Go(func() { errs[i] = mp.stop(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Mapping states, as GetEventSourceMapping names them.
const (
	stateCreating = "Creating"
	stateEnabled  = "Enabled"
	stateDisabled = "Disabled"
)

// Mapping is one running event source mapping.
type Mapping struct {
	s    settings
	fn   Function
	opts Options
	log  *slog.Logger
	dest destination

	stopRun, stopHard context.CancelFunc
	wg                sync.WaitGroup
	state             atomic.Value // string

	invocations          atomic.Int64
	functionErrors       atomic.Int64
	partialResponses     atomic.Int64
	batchesDiscarded     atomic.Int64
	batchesToDestination atomic.Int64
	recordsDiscarded     atomic.Int64
	destinationErrors    atomic.Int64
	pollErrors           atomic.Int64
	messagesDeleted      atomic.Int64
	shards               atomic.Int64
	busyPollers          atomic.Int64
	emptyPolls           atomic.Int64
	lastError            atomic.Value // string
}

// UUID identifies the mapping.
func (mp *Mapping) UUID() string { return mp.s.UUID }

// Config is the configuration the mapping was added with (UUID filled in).
func (mp *Mapping) Config() Config { return mp.s.Config }

// Kind is the event source's kind.
func (mp *Mapping) Kind() SourceKind { return mp.s.kind }

// Stats are a mapping's counters, for observability.
type Stats struct {
	UUID           string     `json:"uuid"`
	Source         string     `json:"eventSourceArn"`
	Kind           SourceKind `json:"kind"`
	State          string     `json:"state"`
	Invocations    int64      `json:"invocations"`
	FunctionErrors int64      `json:"functionErrors"`
	// PartialResponses counts invocations answered with batch item failures.
	PartialResponses int64 `json:"partialResponses"`
	// BatchesDiscarded counts (sub-)batches given up on (streams);
	// BatchesToDestination those of them delivered to the on-failure
	// destination.
	BatchesDiscarded     int64 `json:"batchesDiscarded"`
	BatchesToDestination int64 `json:"batchesToDestination"`
	RecordsDiscarded     int64 `json:"recordsDiscarded"`
	// DestinationErrors counts failed deliveries to the on-failure
	// destination (each is retried).
	DestinationErrors int64 `json:"destinationErrors"`
	PollErrors        int64 `json:"pollErrors"`
	// MessagesDeleted counts SQS messages deleted after success.
	MessagesDeleted int64 `json:"messagesDeleted"`
	ActiveShards    int64 `json:"activeShards"`
	// BusyPollers counts the pollers (one per shard being read, one for the
	// shard coordinator, one per queue) that have not caught up: their last
	// read found records, or records wait in a batch, an invocation, a retry or
	// a delivery to the on-failure destination. 0 means the mapping has read
	// everything its source held at its pollers' last reads.
	BusyPollers int64 `json:"busyPollers"`
	// EmptyPolls counts reads that found nothing, with nothing waiting.
	EmptyPolls int64  `json:"emptyPolls"`
	LastError  string `json:"lastError,omitempty"`
}

// Stats returns the mapping's counters now.
func (mp *Mapping) Stats() Stats {
	st := Stats{
		UUID: mp.s.UUID, Source: mp.s.EventSourceARN, Kind: mp.s.kind,
		Invocations:          mp.invocations.Load(),
		FunctionErrors:       mp.functionErrors.Load(),
		PartialResponses:     mp.partialResponses.Load(),
		BatchesDiscarded:     mp.batchesDiscarded.Load(),
		BatchesToDestination: mp.batchesToDestination.Load(),
		RecordsDiscarded:     mp.recordsDiscarded.Load(),
		DestinationErrors:    mp.destinationErrors.Load(),
		PollErrors:           mp.pollErrors.Load(),
		MessagesDeleted:      mp.messagesDeleted.Load(),
		ActiveShards:         mp.shards.Load(),
		BusyPollers:          mp.busyPollers.Load(),
		EmptyPolls:           mp.emptyPolls.Load(),
	}
	st.State, _ = mp.state.Load().(string)
	st.LastError, _ = mp.lastError.Load().(string)
	return st
}

// idleness is whether one poller has caught up with its source, counted in
// Stats.BusyPollers; it starts busy. Only its poller's goroutine uses it.
type idleness struct {
	mp   *Mapping
	busy bool
}

func (mp *Mapping) newIdleness() *idleness {
	mp.busyPollers.Add(1)
	return &idleness{mp: mp, busy: true}
}

// set records whether the poller has work left.
func (i *idleness) set(busy bool) {
	if busy != i.busy {
		i.busy = busy
		if busy {
			i.mp.busyPollers.Add(1)
		} else {
			i.mp.busyPollers.Add(-1)
		}
	}
}

// caughtUp records a read that found nothing, with nothing waiting.
func (i *idleness) caughtUp() {
	i.set(false)
	i.mp.emptyPolls.Add(1)
}

// stop ends the pollers gracefully, then forcibly when ctx ends.
func (mp *Mapping) stop(ctx context.Context) error {
	if mp.stopRun == nil {
		return nil
	}
	mp.stopRun()
	done := make(chan struct{})
	go func() { mp.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("stop event source mapping %s: %w", mp.s.UUID, ctx.Err())
		mp.stopHard()
		<-done
	}
	mp.stopHard()
	mp.state.Store(stateDisabled)
	return err
}

// invoke calls the function, turning a panic into a function error as the
// Lambda runtime reports one.
func (mp *Mapping) invoke(ctx context.Context, payload []byte) (resp []byte, err error) {
	mp.invocations.Add(1)
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("function panicked: %v", p)
		}
		if err != nil {
			mp.functionErrors.Add(1)
		}
	}()
	return mp.fn(ctx, payload)
}

func (mp *Mapping) pollError(err error) {
	mp.pollErrors.Add(1)
	mp.lastError.Store(err.Error())
	mp.log.Warn("event source mapping poll failed", "err", err)
}
