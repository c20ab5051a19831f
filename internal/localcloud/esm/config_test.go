package esm

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestConfigValidation(t *testing.T) {
	const (
		stream = "arn:aws:kinesis:us-east-1:000000000000:stream/orders"
		ddb    = "arn:aws:dynamodb:ddblocal:000000000000:table/accounts/stream/2026-11-28T19:10:56.474"
		queue  = "arn:aws:sqs:us-east-1:000000000000:jobs"
	)
	ok := func(mod func(*Config)) Config {
		c := Config{EventSourceARN: stream, FunctionARN: testFunctionARN, StartingPosition: StartingPositionTrimHorizon}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	onFailure := func(arn string) *DestinationConfig {
		return &DestinationConfig{OnFailure: &OnFailure{DestinationARN: arn}}
	}
	tests := []struct {
		name        string
		cfg         Config
		field       string // empty: valid
		unsupported bool
	}{
		{"kinesis defaults", ok(nil), "", false},
		{"dynamodb stream", ok(func(c *Config) { c.EventSourceARN = ddb }), "", false},
		{"sqs defaults", Config{EventSourceARN: queue, FunctionARN: testFunctionARN}, "", false},
		{"all stream options", ok(func(c *Config) {
			c.BatchSize, c.MaximumBatchingWindowInSeconds, c.MaximumRetryAttempts, c.MaximumRecordAgeInSeconds = 10000, 300, new(10000), new(604800)
			c.BisectBatchOnFunctionError, c.FunctionResponseTypes, c.ParallelizationFactor = true, []string{ReportBatchItemFailures}, 1
			c.DestinationConfig = onFailure("arn:aws:s3:::failures")
		}), "", false},
		{"infinite retries and age", ok(func(c *Config) { c.MaximumRetryAttempts, c.MaximumRecordAgeInSeconds = new(-1), new(-1) }), "", false},
		{"missing source", ok(func(c *Config) { c.EventSourceARN = "" }), "EventSourceArn", false},
		{"source not an ARN", ok(func(c *Config) { c.EventSourceARN = "orders" }), "EventSourceArn", false},
		{"source of another service", ok(func(c *Config) { c.EventSourceARN = "arn:aws:s3:::bucket" }), "EventSourceArn", false},
		{"EFO consumer", ok(func(c *Config) { c.EventSourceARN = stream + "/consumer/c:1" }), "EventSourceArn", true},
		{"missing function", ok(func(c *Config) { c.FunctionARN = "" }), "FunctionArn", false},
		{"missing starting position", ok(func(c *Config) { c.StartingPosition = "" }), "StartingPosition", false},
		{"bad starting position", ok(func(c *Config) { c.StartingPosition = "EARLIEST" }), "StartingPosition", false},
		{"AT_TIMESTAMP", ok(func(c *Config) { c.StartingPosition = "AT_TIMESTAMP" }), "StartingPosition", true},
		{"batch size too big", ok(func(c *Config) { c.BatchSize = 10001 }), "BatchSize", false},
		{"negative batch size", ok(func(c *Config) { c.BatchSize = -1 }), "BatchSize", false},
		{"batching window too long", ok(func(c *Config) { c.MaximumBatchingWindowInSeconds = 301 }), "MaximumBatchingWindowInSeconds", false},
		{"retries below -1", ok(func(c *Config) { c.MaximumRetryAttempts = new(-2) }), "MaximumRetryAttempts", false},
		{"retries above 10000", ok(func(c *Config) { c.MaximumRetryAttempts = new(10001) }), "MaximumRetryAttempts", false},
		{"record age below 60", ok(func(c *Config) { c.MaximumRecordAgeInSeconds = new(59) }), "MaximumRecordAgeInSeconds", false},
		{"record age 0", ok(func(c *Config) { c.MaximumRecordAgeInSeconds = new(0) }), "MaximumRecordAgeInSeconds", false},
		{"unknown response type", ok(func(c *Config) { c.FunctionResponseTypes = []string{"Partial"} }), "FunctionResponseTypes", false},
		{"parallelization 2", ok(func(c *Config) { c.ParallelizationFactor = 2 }), "ParallelizationFactor", true},
		{"parallelization 11", ok(func(c *Config) { c.ParallelizationFactor = 11 }), "ParallelizationFactor", false},
		{"tumbling window", ok(func(c *Config) { c.TumblingWindowInSeconds = 60 }), "TumblingWindowInSeconds", true},
		{"destination of another service", ok(func(c *Config) { c.DestinationConfig = onFailure("arn:aws:events:us-east-1:000000000000:event-bus/b") }), "DestinationConfig.OnFailure.Destination", false},
		{"destination not an ARN", ok(func(c *Config) { c.DestinationConfig = onFailure("my-queue") }), "DestinationConfig.OnFailure.Destination", false},
		{"sqs with starting position", Config{EventSourceARN: queue, FunctionARN: testFunctionARN, StartingPosition: "LATEST"}, "StartingPosition", false},
		{"sqs with bisect", Config{EventSourceARN: queue, FunctionARN: testFunctionARN, BisectBatchOnFunctionError: true}, "BisectBatchOnFunctionError", false},
		{"sqs with retries", Config{EventSourceARN: queue, FunctionARN: testFunctionARN, MaximumRetryAttempts: new(1)}, "MaximumRetryAttempts", false},
		{"sqs with destination", Config{EventSourceARN: queue, FunctionARN: testFunctionARN, DestinationConfig: onFailure(queue)}, "DestinationConfig", false},
		{"sqs batch above 10 without window", Config{EventSourceARN: queue, FunctionARN: testFunctionARN, BatchSize: 11}, "MaximumBatchingWindowInSeconds", false},
		{"sqs batch above 10 with window", Config{EventSourceARN: queue, FunctionARN: testFunctionARN, BatchSize: 11, MaximumBatchingWindowInSeconds: 1}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.cfg.validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("validate: %v", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("validate = %v, want a *ConfigError for %s", err, tt.field)
			}
			if ce.Field != tt.field || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q names field %q, want %q", err, ce.Field, tt.field)
			}
			if errors.Is(err, ErrUnsupported) != tt.unsupported {
				t.Errorf("errors.Is(%q, ErrUnsupported) = %v, want %v", err, !tt.unsupported, tt.unsupported)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	s, err := Config{EventSourceARN: "arn:aws:kinesis:eu-west-1:000000000000:stream/orders", FunctionARN: testFunctionARN, StartingPosition: "LATEST"}.validate()
	if err != nil {
		t.Fatal(err)
	}
	if s.batchSize != 100 || s.maxRetries != -1 || s.maxAge != -1 || !s.enabled || s.rbif || s.destination != nil || s.kind != SourceKinesis || s.source.Region != "eu-west-1" {
		t.Errorf("defaults = %+v", s)
	}
	s, err = Config{EventSourceARN: "arn:aws:sqs:us-east-1:000000000000:jobs", FunctionARN: testFunctionARN}.validate()
	if err != nil || s.batchSize != 10 || s.kind != SourceSQS {
		t.Errorf("SQS defaults = %+v, %v", s, err)
	}
}

// Add refuses what it cannot run before touching any emulator.
func TestAddRefuses(t *testing.T) {
	m := New(Clients{}, Options{})
	defer m.Close(context.Background())
	fn := func(context.Context, []byte) ([]byte, error) { return nil, nil }
	if _, err := m.Add(context.Background(), Config{}, fn); err == nil || !strings.Contains(err.Error(), "EventSourceArn") {
		t.Errorf("empty config: %v", err)
	}
	cfg := Config{EventSourceARN: "arn:aws:kinesis:us-east-1:000000000000:stream/s", FunctionARN: testFunctionARN, StartingPosition: "LATEST"}
	if _, err := m.Add(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "no function") {
		t.Errorf("nil function: %v", err)
	}
	if _, err := m.Add(context.Background(), cfg, fn); err == nil || !strings.Contains(err.Error(), "no Kinesis client") {
		t.Errorf("no client: %v", err)
	}
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Add(context.Background(), cfg, fn); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}

const testFunctionARN = "arn:aws:lambda:us-east-1:000000000000:function:consumer"
