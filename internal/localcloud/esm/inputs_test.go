package esm

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeInputs(t *testing.T) {
	in, err := DecodeInputs([]byte(`{
		"eventSourceArn": "arn:aws:kinesis:us-east-1:000000000000:stream/orders",
		"functionName": "consumer", "batchSize": 100, "bisectBatchOnFunctionError": true,
		"maximumRetryAttempts": 0, "maximumRecordAgeInSeconds": 3600, "maximumBatchingWindowInSeconds": 1,
		"startingPosition": "TRIM_HORIZON", "functionResponseTypes": ["ReportBatchItemFailures"],
		"parallelizationFactor": 1, "enabled": true,
		"destinationConfig": {"onFailure": {"destinationArn": "arn:aws:sqs:us-east-1:000000000000:dlq"}},
		"tags": {"team": "a"}, "region": "us-east-1", "filterCriteria": null, "topics": []
	}`))
	if err != nil {
		t.Fatal(err)
	}
	c := in.Config(testFunctionARN, "arn:aws:iam::000000000000:role/r")
	s, err := c.validate()
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	if in.FunctionName != "consumer" || s.batchSize != 100 || !s.BisectBatchOnFunctionError || s.maxRetries != 0 || s.maxAge != 3600 ||
		s.MaximumBatchingWindowInSeconds != 1 || s.StartingPosition != "TRIM_HORIZON" || !s.rbif || s.destination == nil ||
		s.destination.raw != "arn:aws:sqs:us-east-1:000000000000:dlq" || s.FunctionARN != testFunctionARN || s.ExecutionRoleARN != "arn:aws:iam::000000000000:role/r" {
		t.Errorf("config = %+v", s)
	}

	for _, tt := range []struct{ json, field string }{
		{`{"eventSourceArn":"x","filterCriteria":{"filters":[{"pattern":"{}"}]}}`, "filterCriteria"},
		{`{"eventSourceArn":"x","topics":["t"],"queues":"q"}`, "queues, topics"},
		{`{"eventSourceArn":"x","batchSizes":10}`, "batchSizes"},
		{`{"eventSourceArn":"x","batchSize":"ten"}`, "batchSize"},
	} {
		_, err := DecodeInputs([]byte(tt.json))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tt.field || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("DecodeInputs(%s) = %v, want an error naming %s", tt.json, err, tt.field)
		}
	}
	if _, err := DecodeInputs([]byte(`{"filterCriteria":{"filters":[]}}`)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("filterCriteria: %v, want ErrUnsupported", err)
	}
	if _, err := DecodeInputs([]byte(`[1]`)); err == nil {
		t.Error("a JSON array was accepted")
	}
}
