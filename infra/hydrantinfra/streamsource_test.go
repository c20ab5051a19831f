package hydrantinfra_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func kinesisSource() *hydrantinfra.StreamSourceArgs {
	return &hydrantinfra.StreamSourceArgs{
		Kind:                 hydrantinfra.StreamKinesis,
		StreamArn:            pulumi.String(ordersStream),
		StreamKmsKeyArn:      pulumi.String("arn:aws:kms:us-east-1:123456789012:key/1111"),
		ConsumerFunctionName: pulumi.String("orders-consumer"),
		ConsumerRoleName:     pulumi.String("orders-consumer-role"),
		DestinationKind:      hydrantinfra.DestinationSQS,
		DestinationArn:       pulumi.String("arn:aws:sqs:us-east-1:123456789012:hydrant-intake"),
		HydrateRoleName:      pulumi.String("hydrant-hydrate-role"),
	}
}

func TestStreamSourceKinesis(t *testing.T) {
	p := run(t, func(ctx *pulumi.Context) error {
		_, err := hydrantinfra.NewStreamSource(ctx, "orders", kinesisSource())
		return err
	})
	find(t, p, hydrantinfra.StreamSourceType, "orders")
	esm := find(t, p, typeESM, "orders-mapping")
	for path, want := range map[string]any{
		"eventSourceArn": ordersStream, "functionName": "orders-consumer", "startingPosition": "LATEST",
		"bisectBatchOnFunctionError": true, "maximumRetryAttempts": 3.0, "maximumRecordAgeInSeconds": 3600.0,
		"destinationConfig.onFailure.destinationArn": "arn:aws:sqs:us-east-1:123456789012:hydrant-intake",
	} {
		if got := get(esm.Inputs, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if got := esm.Inputs["functionResponseTypes"]; !reflect.DeepEqual(got, []any{"ReportBatchItemFailures"}) {
		t.Errorf("functionResponseTypes = %v", got)
	}
	consumer := statements(t, find(t, p, typeRolePolicy, "orders-consumer-policy").Inputs["policy"])
	if find(t, p, typeRolePolicy, "orders-consumer-policy").Inputs["role"] != "orders-consumer-role" {
		t.Error("consumer policy is not on the consumer role")
	}
	if !reflect.DeepEqual(consumer["ReadStream"].Resource, []string{ordersStream}) ||
		!reflect.DeepEqual(consumer["SendFailures"], stmt{Sid: "SendFailures", Effect: "Allow", Action: []string{"sqs:SendMessage"}, Resource: []string{"arn:aws:sqs:us-east-1:123456789012:hydrant-intake"}}) ||
		!reflect.DeepEqual(consumer["DecryptStream"].Action, []string{"kms:Decrypt"}) {
		t.Errorf("consumer policy = %+v", consumer)
	}
	hydrate := find(t, p, typeRolePolicy, "orders-hydrate-policy")
	hs := statements(t, hydrate.Inputs["policy"])
	if hydrate.Inputs["role"] != "hydrant-hydrate-role" || len(hs) != 2 ||
		!reflect.DeepEqual(hs["ReadStream"].Action, []string{"kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"}) ||
		!reflect.DeepEqual(hs["DecryptStream"].Resource, []string{"arn:aws:kms:us-east-1:123456789012:key/1111"}) {
		t.Errorf("hydrate policy = %+v", hs)
	}
}

func TestStreamSourceDynamoDBToBucket(t *testing.T) {
	p := run(t, func(ctx *pulumi.Context) error {
		args := kinesisSource()
		args.Kind = hydrantinfra.StreamDynamoDB
		args.StreamArn = pulumi.String(usersStream)
		args.StreamKmsKeyArn = nil
		args.DestinationKind = hydrantinfra.DestinationS3
		args.DestinationArn = pulumi.String("arn:aws:s3:::hydrant-failures")
		args.MaximumRetryAttempts = ptr(0)
		args.MaximumRecordAgeInSeconds = 600
		args.StartingPosition = "TRIM_HORIZON"
		_, err := hydrantinfra.NewStreamSource(ctx, "users", args)
		return err
	})
	esm := find(t, p, typeESM, "users-mapping")
	if esm.Inputs["maximumRetryAttempts"] != 0.0 || esm.Inputs["maximumRecordAgeInSeconds"] != 600.0 || esm.Inputs["startingPosition"] != "TRIM_HORIZON" {
		t.Errorf("mapping = %v", esm.Inputs)
	}
	consumer := statements(t, find(t, p, typeRolePolicy, "users-consumer-policy").Inputs["policy"])
	if !reflect.DeepEqual(consumer["WriteFailures"].Resource, []string{"arn:aws:s3:::hydrant-failures/*"}) ||
		!reflect.DeepEqual(consumer["ListFailureBucket"].Resource, []string{"arn:aws:s3:::hydrant-failures"}) ||
		!reflect.DeepEqual(consumer["ReadStream"].Action, []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}) {
		t.Errorf("consumer policy = %+v", consumer)
	}
	if _, ok := consumer["DecryptStream"]; ok {
		t.Error("kms:Decrypt granted without a key")
	}
}

func TestStreamSourceRejectsBadArgs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*hydrantinfra.StreamSourceArgs)
		want   string
	}{
		{"infinite retries", func(a *hydrantinfra.StreamSourceArgs) { a.MaximumRetryAttempts = ptr(-1) }, "MaximumRetryAttempts -1"},
		{"record age", func(a *hydrantinfra.StreamSourceArgs) { a.MaximumRecordAgeInSeconds = -1 }, "MaximumRecordAgeInSeconds -1"},
		{"kind", func(a *hydrantinfra.StreamSourceArgs) { a.Kind = "kafka" }, `kind "kafka"`},
		{"destination", func(a *hydrantinfra.StreamSourceArgs) { a.DestinationKind = "lambda" }, `destination kind "lambda"`},
		{"missing role", func(a *hydrantinfra.StreamSourceArgs) { a.HydrateRoleName = nil }, "HydrateRoleName is required"},
		{"position", func(a *hydrantinfra.StreamSourceArgs) { a.StartingPosition = "AT_TIMESTAMP" }, `StartingPosition "AT_TIMESTAMP"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := kinesisSource()
			tc.change(args)
			err := runErr(func(ctx *pulumi.Context) error {
				_, err := hydrantinfra.NewStreamSource(ctx, "orders", args)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}
