package lambdaapi_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/hydrant-dev/hydrant/internal/localcloud/lambdaapi"
)

type funcErr struct{ msg string }

func (e *funcErr) Error() string             { return e.msg }
func (e *funcErr) FunctionErrorType() string { return "errorString" }

type functions struct{ got []byte }

func (f *functions) Invoke(_ context.Context, name string, payload []byte) ([]byte, error) {
	f.got = payload
	if bytes.Contains(payload, []byte("fail")) {
		return nil, &funcErr{"it failed"}
	}
	return []byte(`{"batchItemFailures":[]}`), nil
}

func (f *functions) Exists(name string) (string, bool) {
	return "arn:aws:lambda:us-east-1:000000000000:function:consumer", name == "consumer" || strings.HasSuffix(name, ":function:consumer")
}

func (f *functions) EventSourceMappings(fn, source string) []lambdaapi.Mapping {
	all := []lambdaapi.Mapping{
		{UUID: "1", BatchSize: 10, EventSourceArn: "arn:aws:kinesis:us-east-1:000000000000:stream/a", FunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:consumer", State: "Enabled"},
		{UUID: "2", BatchSize: 100, EventSourceArn: "arn:aws:kinesis:us-east-1:000000000000:stream/b", FunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:consumer", State: "Enabled",
			EventSourceMappingArn: "arn:aws:lambda:us-east-1:000000000000:event-source-mapping:2",
			DestinationConfig:     &lambdaapi.DestinationConfig{OnFailure: &lambdaapi.OnFailure{Destination: "arn:aws:s3:::failures"}}},
	}
	var out []lambdaapi.Mapping
	for _, m := range all {
		if source == "" || m.EventSourceArn == source {
			out = append(out, m)
		}
	}
	return out
}

// The SDK's own Lambda client, pointed at the endpoint, gets Lambda's answers.
func TestLambdaAPIWithTheSDKClient(t *testing.T) {
	fns := &functions{}
	srv := httptest.NewServer(lambdaapi.New(fns, nil))
	defer srv.Close()
	c := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	ctx := context.Background()

	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("consumer"), Payload: []byte(`{"Records":[]}`)})
	if err != nil || out.StatusCode != 200 || out.FunctionError != nil || string(out.Payload) != `{"batchItemFailures":[]}` || string(fns.got) != `{"Records":[]}` {
		t.Errorf("invoke: %v, %+v", err, out)
	}
	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:000000000000:function:consumer"), Payload: []byte(`{"fail":true}`)})
	if err != nil || aws.ToString(out.FunctionError) != "Unhandled" || !bytes.Contains(out.Payload, []byte(`"errorMessage":"it failed"`)) || !bytes.Contains(out.Payload, []byte(`"errorType":"errorString"`)) {
		t.Errorf("failing invoke: %v, %+v %s", err, out, out.Payload)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("unknown function: %v, want ResourceNotFoundException", err)
	}
	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("consumer"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || out.StatusCode != 204 {
		t.Errorf("dry run: %v, %+v", err, out)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("consumer"), Payload: bytes.Repeat([]byte(" "), lambdaapi.MaxPayload+1)})
	var tooLarge *types.RequestTooLargeException
	if !errors.As(err, &tooLarge) {
		t.Errorf("payload over 6 MB: %v, want RequestTooLargeException", err)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("consumer"), Payload: []byte(`{not json`)})
	var badJSON *types.InvalidRequestContentException
	if !errors.As(err, &badJSON) {
		t.Errorf("invalid JSON: %v, want InvalidRequestContentException", err)
	}

	ms, err := c.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String("consumer"), EventSourceArn: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/b")})
	if err != nil || len(ms.EventSourceMappings) != 1 || aws.ToInt32(ms.EventSourceMappings[0].BatchSize) != 100 || aws.ToString(ms.EventSourceMappings[0].UUID) != "2" {
		t.Errorf("list mappings: %v, %+v", err, ms)
	}
	if _, err := c.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String("nope")}); !errors.As(err, &nf) {
		t.Errorf("mappings of an unknown function: %v, want ResourceNotFoundException", err)
	}

	// GetEventSourceMapping: the shape and the error AWS was recorded answering with
	// (LocalStack's test_lambda_api.snapshot.json, test_event_source_mapping_lifecycle
	// "get_response" 2025-11-25 and test_event_source_mapping_exceptions "get_unknown_uuid"
	// 2025-11-27).
	got, err := c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String("2")})
	if err != nil || aws.ToString(got.EventSourceArn) != "arn:aws:kinesis:us-east-1:000000000000:stream/b" ||
		aws.ToString(got.EventSourceMappingArn) != "arn:aws:lambda:us-east-1:000000000000:event-source-mapping:2" ||
		got.DestinationConfig == nil || got.DestinationConfig.OnFailure == nil || aws.ToString(got.DestinationConfig.OnFailure.Destination) != "arn:aws:s3:::failures" {
		t.Errorf("get mapping: %v, %+v", err, got)
	}
	_, err = c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String("6b5b4a4e-0d3c-4c1a-9c55-1f2e3d4c5b6a")})
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), "The resource you requested does not exist.") {
		t.Errorf("unknown mapping: %v, want ResourceNotFoundException \"The resource you requested does not exist.\"", err)
	}
}
