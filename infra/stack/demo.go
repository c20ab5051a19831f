package stack

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/kinesis"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// demoStreams are the demo's Kinesis stream and DynamoDB table, created before the router
// (whose claim-check bucket policy may name their streams).
type demoStreams struct {
	stream *kinesis.Stream
	table  *dynamodb.Table
	arns   map[string]pulumi.StringInput // by stream source name
}

// newDemoStreams creates the demo's Kinesis stream and its DynamoDB table with a stream.
func newDemoStreams(ctx *pulumi.Context, cfg DemoConfig, tags map[string]string) (*demoStreams, error) {
	shards := cfg.Shards
	if shards == 0 {
		shards = 1
	}
	stream, err := kinesis.NewStream(ctx, "demo-orders", &kinesis.StreamArgs{
		ShardCount:      pulumi.Int(shards),
		RetentionPeriod: pulumi.Int(24),
		EncryptionType:  pulumi.String("KMS"),
		KmsKeyId:        pulumi.String("alias/aws/kinesis"), // AWS-managed: readers need no kms grant
		StreamModeDetails: &kinesis.StreamStreamModeDetailsArgs{
			StreamMode: pulumi.String("PROVISIONED"),
		},
		Tags: pulumi.ToStringMap(tags),
	})
	if err != nil {
		return nil, fmt.Errorf("demo stream: %w", err)
	}
	table, err := dynamodb.NewTable(ctx, "demo-users", &dynamodb.TableArgs{
		BillingMode:          pulumi.String("PAY_PER_REQUEST"),
		HashKey:              pulumi.String("id"),
		Attributes:           dynamodb.TableAttributeArray{&dynamodb.TableAttributeArgs{Name: pulumi.String("id"), Type: pulumi.String("S")}},
		StreamEnabled:        pulumi.Bool(true),
		StreamViewType:       pulumi.String("NEW_AND_OLD_IMAGES"),
		ServerSideEncryption: &dynamodb.TableServerSideEncryptionArgs{Enabled: pulumi.Bool(true)},
		Tags:                 pulumi.ToStringMap(tags),
	})
	if err != nil {
		return nil, fmt.Errorf("demo table: %w", err)
	}
	ctx.Export("demoStreamName", stream.Name)
	ctx.Export("demoTableName", table.Name)
	return &demoStreams{stream: stream, table: table, arns: map[string]pulumi.StringInput{
		DemoOrdersSource: stream.Arn, DemoUsersSource: table.StreamArn,
	}}, nil
}

// deployDemo creates the demo's consumers: the Kinesis stream's reports records with
// {"poison": true} as failed (failures go to the intake queue, so hydrate reads them back from
// the stream), the table's fails items with poison = true (failures go to the failure bucket,
// payload included).
func deployDemo(ctx *pulumi.Context, streams *demoStreams, router *hydrantinfra.Router, code Code, tags map[string]string) (map[string]*hydrantinfra.StreamSource, error) {
	archive, err := code.Archive(DemoConsumerPackage)
	if err != nil {
		return nil, fmt.Errorf("demo consumer code: %w", err)
	}

	out := map[string]*hydrantinfra.StreamSource{}
	for _, d := range []struct {
		name        string
		kind        hydrantinfra.StreamKind
		arn         pulumi.StringInput
		destination hydrantinfra.DestinationKind
		destArn     pulumi.StringInput
	}{
		{DemoOrdersSource, hydrantinfra.StreamKinesis, streams.stream.Arn, hydrantinfra.DestinationSQS, router.IntakeQueueArn},
		{DemoUsersSource, hydrantinfra.StreamDynamoDB, streams.table.StreamArn, hydrantinfra.DestinationS3, router.FailureBucketArn},
	} {
		fn, role, err := demoConsumer(ctx, d.name+"-consumer", archive, tags)
		if err != nil {
			return nil, err
		}
		src, err := hydrantinfra.NewStreamSource(ctx, d.name, &hydrantinfra.StreamSourceArgs{
			Kind:                      d.kind,
			StreamArn:                 d.arn,
			ConsumerFunctionName:      fn.Name,
			ConsumerRoleName:          role.Name,
			DestinationKind:           d.destination,
			DestinationArn:            d.destArn,
			HydrateRoleName:           router.HydrateRoleName,
			BatchSize:                 10,
			MaximumRetryAttempts:      intPtr(2),
			MaximumRecordAgeInSeconds: 300,
			StartingPosition:          "TRIM_HORIZON",
			Tags:                      tags,
		})
		if err != nil {
			return nil, err
		}
		out[d.name] = src
	}
	return out, nil
}

// demoConsumer is a function running handlers/democonsumer, with a role that may only write its
// own logs (the stream source adds the stream and destination permissions).
func demoConsumer(ctx *pulumi.Context, name string, code pulumi.Archive, tags map[string]string) (*lambda.Function, *iam.Role, error) {
	logs, err := cloudwatch.NewLogGroup(ctx, name+"-logs", &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(7),
		Tags:            pulumi.ToStringMap(tags),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%s log group: %w", name, err)
	}
	// Lambda assumes the role only for a function of the log group's (the stack's) account.
	assume := logs.Arn.ApplyT(func(logArn string) (string, error) {
		a, err := arn.Parse(logArn)
		if err != nil {
			return "", fmt.Errorf("%s log group ARN: %w", name, err)
		}
		b, err := json.Marshal(map[string]any{
			"Version": "2012-10-17",
			"Statement": []map[string]any{{"Effect": "Allow", "Principal": map[string]string{"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole",
				"Condition": map[string]map[string][]string{"StringEquals": {"aws:SourceAccount": {a.AccountID}}}}},
		})
		return string(b), err
	}).(pulumi.StringOutput)
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		AssumeRolePolicy: assume,
		Tags:             pulumi.ToStringMap(tags),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%s role: %w", name, err)
	}
	logPolicy := logs.Arn.ApplyT(func(arn string) (string, error) {
		b, err := json.Marshal(map[string]any{
			"Version": "2012-10-17",
			"Statement": []map[string]any{{
				"Sid": "WriteLogs", "Effect": "Allow",
				"Action":   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
				"Resource": []string{arn + ":*"},
			}},
		})
		return string(b), err
	}).(pulumi.StringOutput)
	pol, err := iam.NewRolePolicy(ctx, name+"-logs-policy", &iam.RolePolicyArgs{Role: role.Name, Policy: logPolicy})
	if err != nil {
		return nil, nil, fmt.Errorf("%s log policy: %w", name, err)
	}
	fn, err := lambda.NewFunction(ctx, name, &lambda.FunctionArgs{
		Description:   pulumi.String("Hydrant demo consumer: reports poison records as batch item failures"),
		Runtime:       pulumi.String("provided.al2023"),
		Architectures: pulumi.ToStringArray([]string{"arm64"}),
		Handler:       pulumi.String("bootstrap"),
		Code:          code,
		Role:          role.Arn,
		MemorySize:    pulumi.Int(128),
		Timeout:       pulumi.Int(30),
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{LogFormat: pulumi.String("JSON"), LogGroup: logs.Name},
		Tags:          pulumi.ToStringMap(tags),
	}, pulumi.DependsOn([]pulumi.Resource{pol}))
	if err != nil {
		return nil, nil, fmt.Errorf("%s function: %w", name, err)
	}
	return fn, role, nil
}

func intPtr(v int) *int { return &v }
