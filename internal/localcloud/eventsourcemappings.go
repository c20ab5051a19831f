package localcloud

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/hydrant-dev/hydrant/internal/localcloud/esm"
)

// Mapping is an event source mapping of the deployment: the local ESM's configuration (the
// Lambda API's parameters, as the program set them) and the function it invokes.
type Mapping struct {
	Config       esm.Config
	FunctionName string // as the program gave it: a name or an ARN
	// MaximumConcurrency (SQS scaling config) is accepted; the local ESM runs one batch at a time.
	MaximumConcurrency int
}

// Enabled reports whether the mapping polls.
func (m Mapping) Enabled() bool { return m.Config.Enabled == nil || *m.Config.Enabled }

// mappings holds the deployment's event source mappings and runs them on the local ESM once
// the whole program is deployed (a mapping's function may be registered after it).
type mappings struct {
	c     *Cloud
	mu    sync.Mutex
	specs []Mapping
	run   *esm.Mappings
}

func newMappings(c *Cloud) *mappings { return &mappings{c: c} }

func (m *mappings) add(s Mapping) {
	m.mu.Lock()
	m.specs = append(m.specs, s)
	m.mu.Unlock()
}

// Mappings lists the deployment's event source mappings.
func (c *Cloud) Mappings() []Mapping {
	c.mappings.mu.Lock()
	defer c.mappings.mu.Unlock()
	return append([]Mapping(nil), c.mappings.specs...)
}

// createMapping records an event source mapping; it starts polling after the deployment,
// once its function exists. The local ESM validates the settings as the Lambda API does.
func (c *Cloud) createMapping(ctx context.Context, a regArgs) (created, error) {
	for _, k := range []string{"filterCriteria", "selfManagedEventSource", "amazonManagedKafkaEventSourceConfig", "selfManagedKafkaEventSourceConfig", "queues", "topics", "documentDbEventSourceConfig", "startingPositionTimestamp"} {
		if _, ok := a.In.get(k); ok {
			return created{}, fmt.Errorf("%s is not supported locally", k)
		}
	}
	m := Mapping{FunctionName: a.In.str("functionName")}
	cfg := esm.Config{
		UUID:                       uuid.NewString(),
		EventSourceARN:             a.In.str("eventSourceArn"),
		StartingPosition:           a.In.str("startingPosition"),
		BisectBatchOnFunctionError: a.In.boolean("bisectBatchOnFunctionError"),
		FunctionResponseTypes:      a.In.strs("functionResponseTypes"),
	}
	if m.FunctionName == "" {
		return created{}, fmt.Errorf("functionName is required")
	}
	cfg.FunctionARN = m.FunctionName
	if !strings.HasPrefix(cfg.FunctionARN, "arn:") {
		cfg.FunctionARN = c.arn("lambda", "function:"+m.FunctionName)
	}
	if v, ok := a.In.get("enabled"); ok && v.IsBool() {
		b := v.BoolValue()
		cfg.Enabled = &b
	}
	cfg.BatchSize, _ = a.In.num("batchSize")
	cfg.MaximumBatchingWindowInSeconds, _ = a.In.num("maximumBatchingWindowInSeconds")
	if n, ok := a.In.num("maximumRetryAttempts"); ok {
		cfg.MaximumRetryAttempts = &n
	}
	if n, ok := a.In.num("maximumRecordAgeInSeconds"); ok {
		cfg.MaximumRecordAgeInSeconds = &n
	}
	cfg.ParallelizationFactor, _ = a.In.num("parallelizationFactor")
	cfg.TumblingWindowInSeconds, _ = a.In.num("tumblingWindowInSeconds")
	if d := a.In.obj("destinationConfig"); d != nil {
		if dest := d.obj("onFailure").str("destinationArn"); dest != "" {
			cfg.DestinationConfig = &esm.DestinationConfig{OnFailure: &esm.OnFailure{DestinationARN: dest}}
		}
	}
	if sc := a.In.obj("scalingConfig"); sc != nil {
		m.MaximumConcurrency, _ = sc.num("maximumConcurrency")
	}
	m.Config = cfg
	c.mappings.add(m)
	arn := c.arn("lambda", "event-source-mapping:"+cfg.UUID)
	state := "Enabled"
	if !m.Enabled() {
		state = "Disabled"
	}
	note := fmt.Sprintf("%s → %s", cfg.EventSourceARN, m.FunctionName)
	if cfg.DestinationConfig != nil {
		note += ", on failure → " + cfg.DestinationConfig.OnFailure.DestinationARN
	}
	return created{id: cfg.UUID, outputs: map[string]any{"uuid": cfg.UUID, "arn": arn, "functionArn": cfg.FunctionARN, "state": state},
		res: Resource{ARN: arn, Physical: cfg.UUID, Mode: ModeRunning, Note: note}}, nil
}

// startAll adds every mapping to the local ESM, which validates it as the Lambda API does and
// starts its pollers.
func (m *mappings) startAll(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.run != nil {
		return fmt.Errorf("event source mappings already started")
	}
	c := m.c
	m.run = esm.New(esm.Clients{Kinesis: c.kin, DynamoDBStreams: c.ddbs, SQS: c.sqs, SNS: c.sns, S3: c.s3}, esm.Options{Logger: c.opts.Logger})
	for _, s := range m.specs {
		f, err := c.function(s.FunctionName)
		if err != nil {
			return fmt.Errorf("event source mapping %s: %w", s.Config.UUID, err)
		}
		cfg := s.Config
		cfg.FunctionARN, cfg.ExecutionRoleARN = f.arn, f.role
		if _, err := m.run.Add(ctx, cfg, f.invoke); err != nil {
			return fmt.Errorf("event source mapping %s (%s → %s): %w", cfg.UUID, cfg.EventSourceARN, f.name, err)
		}
	}
	return nil
}

// stopAll stops the pollers; in-flight invocations and failure deliveries finish first.
func (m *mappings) stopAll(ctx context.Context) error {
	m.mu.Lock()
	run := m.run
	m.mu.Unlock()
	if run == nil {
		return nil
	}
	return run.Close(ctx)
}

// MappingStats are the local ESM's counters for each running mapping.
func (c *Cloud) MappingStats() []esm.Stats {
	c.mappings.mu.Lock()
	run := c.mappings.run
	c.mappings.mu.Unlock()
	if run == nil {
		return nil
	}
	var out []esm.Stats
	for _, mp := range run.List() {
		out = append(out, mp.Stats())
	}
	return out
}
