package esm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Inputs are the inputs of a Pulumi aws:lambda/eventSourceMapping:EventSourceMapping
// resource (pulumi-aws v7 eventSourceMappingArgs), by their Pulumi names, as
// a local cloud receives them. Inputs with no local behaviour (tags, region,
// kmsKeyArn, metrics, scaling and provisioned poller settings) are accepted
// and ignored; inputs for sources or features the local ESM does not run
// (Kafka, MQ, DocumentDB, filter criteria, AT_TIMESTAMP) are refused by name.
type Inputs struct {
	EventSourceArn                 string   `json:"eventSourceArn"`
	FunctionName                   string   `json:"functionName"`
	BatchSize                      *int     `json:"batchSize"`
	BisectBatchOnFunctionError     *bool    `json:"bisectBatchOnFunctionError"`
	Enabled                        *bool    `json:"enabled"`
	FunctionResponseTypes          []string `json:"functionResponseTypes"`
	MaximumBatchingWindowInSeconds *int     `json:"maximumBatchingWindowInSeconds"`
	MaximumRecordAgeInSeconds      *int     `json:"maximumRecordAgeInSeconds"`
	MaximumRetryAttempts           *int     `json:"maximumRetryAttempts"`
	ParallelizationFactor          *int     `json:"parallelizationFactor"`
	StartingPosition               *string  `json:"startingPosition"`
	TumblingWindowInSeconds        *int     `json:"tumblingWindowInSeconds"`
	DestinationConfig              *struct {
		OnFailure *struct {
			DestinationArn string `json:"destinationArn"`
		} `json:"onFailure"`
	} `json:"destinationConfig"`
}

// ignoredInputs have no behaviour to emulate locally.
var ignoredInputs = []string{"tags", "region", "kmsKeyArn", "metricsConfig", "scalingConfig",
	"provisionedPollerConfig", "useResourceTimeoutForPropagation"}

// refusedInputs configure sources or features the local ESM does not run.
var refusedInputs = []string{"filterCriteria", "startingPositionTimestamp", "amazonManagedKafkaEventSourceConfig",
	"selfManagedEventSource", "selfManagedKafkaEventSourceConfig", "documentDbEventSourceConfig",
	"sourceAccessConfigurations", "queues", "topics"}

// DecodeInputs reads the resource inputs from JSON (such as a Pulumi
// PropertyMap's Mappable() value, marshalled). Unknown inputs and inputs the
// local ESM cannot honour are errors naming the input.
func DecodeInputs(data []byte) (Inputs, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return Inputs{}, fmt.Errorf("event source mapping inputs: %w", err)
	}
	var refused []string
	for _, name := range refusedInputs {
		if v, ok := all[name]; ok {
			if !isEmptyJSON(v) {
				refused = append(refused, name)
			}
			delete(all, name)
		}
	}
	if len(refused) > 0 {
		sort.Strings(refused)
		return Inputs{}, &ConfigError{Field: strings.Join(refused, ", "), Reason: "set, but " + ErrUnsupported.Error(), Err: ErrUnsupported}
	}
	for _, name := range ignoredInputs {
		delete(all, name)
	}
	rest, err := json.Marshal(all)
	if err != nil {
		return Inputs{}, fmt.Errorf("event source mapping inputs: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.DisallowUnknownFields()
	var in Inputs
	if err := dec.Decode(&in); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return Inputs{}, &ConfigError{Field: te.Field, Reason: "must be " + te.Type.String() + ", got a JSON " + te.Value}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return Inputs{}, &ConfigError{Field: strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), Reason: "unknown input"}
		case errors.Is(err, io.EOF):
			return Inputs{}, errors.New("event source mapping inputs: empty")
		}
		return Inputs{}, fmt.Errorf("event source mapping inputs: %w", err)
	}
	return in, nil
}

func isEmptyJSON(v json.RawMessage) bool {
	s := string(bytes.TrimSpace(v))
	return s == "null" || s == "" || s == "[]" || s == "{}" || s == `""`
}

// Config returns the mapping configuration; functionARN is the ARN of the
// function functionName names (the input takes a name or an ARN) and
// roleARN its execution role (the records' invokeIdentityArn).
func (in Inputs) Config(functionARN, roleARN string) Config {
	c := Config{
		EventSourceARN: in.EventSourceArn, FunctionARN: functionARN, ExecutionRoleARN: roleARN,
		Enabled: in.Enabled, FunctionResponseTypes: in.FunctionResponseTypes,
		MaximumRetryAttempts: in.MaximumRetryAttempts, MaximumRecordAgeInSeconds: in.MaximumRecordAgeInSeconds,
	}
	set := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	set(&c.BatchSize, in.BatchSize)
	set(&c.MaximumBatchingWindowInSeconds, in.MaximumBatchingWindowInSeconds)
	set(&c.ParallelizationFactor, in.ParallelizationFactor)
	set(&c.TumblingWindowInSeconds, in.TumblingWindowInSeconds)
	if in.BisectBatchOnFunctionError != nil {
		c.BisectBatchOnFunctionError = *in.BisectBatchOnFunctionError
	}
	if in.StartingPosition != nil {
		c.StartingPosition = *in.StartingPosition
	}
	if d := in.DestinationConfig; d != nil && d.OnFailure != nil && d.OnFailure.DestinationArn != "" {
		c.DestinationConfig = &DestinationConfig{OnFailure: &OnFailure{DestinationARN: d.OnFailure.DestinationArn}}
	}
	return c
}
