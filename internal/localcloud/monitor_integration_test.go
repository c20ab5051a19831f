//go:build integration

package localcloud_test

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	awslambda "github.com/pulumi/pulumi-aws/sdk/v7/go/aws/lambda"
	awss3 "github.com/pulumi/pulumi-aws/sdk/v7/go/aws/s3"
	awssqs "github.com/pulumi/pulumi-aws/sdk/v7/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hydrant-dev/hydrant/infra/plan"
	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/localcloud"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

// start starts a local cloud on the test emulators.
func start(t *testing.T, opts localcloud.Options) *localcloud.Cloud {
	t.Helper()
	opts.Endpoints = emulators.Get(t)
	c, err := localcloud.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return c
}

func testStack() *plan.StackConfig {
	return &plan.StackConfig{Project: "localcloudtest", Stack: "test", Values: map[string]string{}}
}

// custom is a resource registered by type token, for types this test does not import.
type custom struct{ pulumi.CustomResourceState }

func TestUnsupportedResourceTypeIsRefusedByName(t *testing.T) {
	c := start(t, localcloud.Options{})
	err := c.Deploy(context.Background(), testStack(), func(ctx *pulumi.Context) error {
		var r custom
		return ctx.RegisterResource("aws:ec2/instance:Instance", "web", pulumi.Map{"instanceType": pulumi.String("t4g.nano")}, &r)
	})
	if err == nil || !strings.Contains(err.Error(), "aws:ec2/instance:Instance") || !strings.Contains(err.Error(), "not supported locally") {
		t.Fatalf("deploy error %v, want the refused type named", err)
	}
}

func TestAcceptedResourcesAreListedWithAWSShapedARNs(t *testing.T) {
	c := start(t, localcloud.Options{})
	var roleArn, alarmArn string
	err := c.Deploy(context.Background(), testStack(), func(ctx *pulumi.Context) error {
		var role, alarm custom
		if err := ctx.RegisterResource("aws:iam/role:Role", "reader", pulumi.Map{"assumeRolePolicy": pulumi.String("{}")}, &role); err != nil {
			return err
		}
		if err := ctx.RegisterResource("aws:cloudwatch/metricAlarm:MetricAlarm", "depth", pulumi.Map{}, &alarm); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.Resources() {
		switch r.Type {
		case "aws:iam/role:Role":
			roleArn = r.ARN
		case "aws:cloudwatch/metricAlarm:MetricAlarm":
			alarmArn = r.ARN
		default:
			continue
		}
		if r.Mode != localcloud.ModeAccepted {
			t.Errorf("%s: mode %q, want %q", r.Type, r.Mode, localcloud.ModeAccepted)
		}
	}
	if !regexp.MustCompile(`^arn:aws:iam::000000000000:role/reader-[0-9a-f]{7}$`).MatchString(roleArn) {
		t.Errorf("role ARN %q", roleArn)
	}
	if !regexp.MustCompile(`^arn:aws:cloudwatch:us-east-1:000000000000:alarm:depth-[0-9a-f]{7}$`).MatchString(alarmArn) {
		t.Errorf("alarm ARN %q", alarmArn)
	}
}

// A queue's redrive policy built from its DLQ's ARN output reaches goaws, the URL output can
// be used, and a bucket notification makes an object written through the local S3 endpoint
// send S3's event notification to the queue (after the s3:TestEvent S3 sends on configuration),
// in a shape the intake parses; objects outside the filter send nothing.
func TestQueueRedriveAndBucketNotification(t *testing.T) {
	c := start(t, localcloud.Options{})
	err := c.Deploy(context.Background(), testStack(), func(ctx *pulumi.Context) error {
		dlq, err := awssqs.NewQueue(ctx, "notes-dlq", &awssqs.QueueArgs{})
		if err != nil {
			return err
		}
		q, err := awssqs.NewQueue(ctx, "notes", &awssqs.QueueArgs{
			VisibilityTimeoutSeconds: pulumi.Int(7),
			RedrivePolicy: dlq.Arn.ApplyT(func(arn string) string {
				return `{"deadLetterTargetArn":"` + arn + `","maxReceiveCount":3}`
			}).(pulumi.StringOutput),
		})
		if err != nil {
			return err
		}
		b, err := awss3.NewBucket(ctx, "Notes-Bucket", &awss3.BucketArgs{})
		if err != nil {
			return err
		}
		_, err = awss3.NewBucketNotification(ctx, "notes-notification", &awss3.BucketNotificationArgs{
			Bucket: b.ID(),
			Queues: awss3.BucketNotificationQueueArray{&awss3.BucketNotificationQueueArgs{
				QueueArn: q.Arn, Events: pulumi.ToStringArray([]string{"s3:ObjectCreated:*"}),
				FilterPrefix: pulumi.String("in/"), FilterSuffix: pulumi.String(".json"),
			}},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	q, _ := c.Find("aws:sqs/queue:Queue", "notes")
	b, _ := c.Find("aws:s3/bucket:Bucket", "Notes-Bucket")
	if !regexp.MustCompile(`^notes-[0-9a-f]{7}$`).MatchString(q.Physical) || q.ARN != "arn:aws:sqs:us-east-1:000000000000:"+q.Physical {
		t.Fatalf("queue %+v: want an auto-named queue with its ARN", q)
	}
	if !regexp.MustCompile(`^notes-bucket-[0-9a-f]{7}$`).MatchString(b.Physical) {
		t.Fatalf("bucket %+v: want a lower-case auto-named bucket", b)
	}
	ctx := context.Background()
	e := c.Endpoints()
	sq := e.SQSClient()
	attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q.ID), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		t.Fatalf("queue URL output %s: %v", q.ID, err)
	}
	if attrs.Attributes["VisibilityTimeout"] != "7" || !strings.Contains(attrs.Attributes["RedrivePolicy"], "notes-dlq-") {
		t.Errorf("queue attributes %v: want visibility timeout 7 and the redrive policy to the DLQ", attrs.Attributes)
	}
	s3c := e.S3Client()
	for _, key := range []string{"out/skipped.json", "in/a b+c.json"} {
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b.Physical), Key: aws.String(key), Body: strings.NewReader(`{"n":1}`)}); err != nil {
			t.Fatal(err)
		}
	}
	var bodies []string
	for deadline := time.Now().Add(10 * time.Second); len(bodies) < 2 && time.Now().Before(deadline); {
		out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.ID), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			if _, err := sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q.ID), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(bodies) != 2 {
		t.Fatalf("queue got %d messages %q, want the test event and one notification", len(bodies), bodies)
	}
	if !strings.Contains(bodies[0], `"Event":"s3:TestEvent"`) {
		t.Errorf("first message %s, want the s3:TestEvent", bodies[0])
	}
	var n struct {
		Records []struct {
			EventVersion, EventSource, EventName string
			S3                                   struct {
				Bucket struct{ Name, Arn string }
				Object struct {
					Key  string
					Size int64
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(bodies[1]), &n); err != nil || len(n.Records) != 1 {
		t.Fatalf("notification %s: %v", bodies[1], err)
	}
	r := n.Records[0]
	if r.EventVersion != "2.1" || r.EventSource != "aws:s3" || r.EventName != "ObjectCreated:Put" || r.S3.Bucket.Name != b.Physical ||
		r.S3.Object.Key != url.QueryEscape("in/a b+c.json") || r.S3.Object.Size != 7 {
		t.Errorf("notification %s: want ObjectCreated:Put of in/a b+c.json (URL-encoded), 7 bytes", bodies[1])
	}
	msg, err := failure.Parse([]byte(bodies[1]))
	if err != nil || len(msg.Objects) != 1 || msg.Objects[0].Key != "in/a b+c.json" {
		t.Errorf("the intake's parser reads %+v (%v), want the object in/a b+c.json", msg, err)
	}
}

// A function runs the handler package its code names, with the program's environment
// variables and the local endpoints; a built archive (what `pulumi up` deploys) is refused
// with a message saying why.
func TestFunctionGetsProgramEnvironmentAndLocalEndpoints(t *testing.T) {
	got := make(chan localcloud.FunctionEnv, 1)
	c := start(t, localcloud.Options{Functions: map[string]localcloud.FunctionFactory{
		"./handlers/echo": func(ctx context.Context, env localcloud.FunctionEnv) (localcloud.Function, error) {
			got <- env
			return localcloud.Handler(func(ctx context.Context, in map[string]string) (map[string]string, error) {
				return map[string]string{"echo": in["say"], "bus": env.Getenv("HYDRANT_EVENT_BUS")}, nil
			}), nil
		},
	}})
	code, err := localcloud.SourceCode{}.Archive("./handlers/echo")
	if err != nil {
		t.Fatal(err)
	}
	err = c.Deploy(context.Background(), testStack(), func(ctx *pulumi.Context) error {
		_, err := awslambda.NewFunction(ctx, "echo", &awslambda.FunctionArgs{
			Code: code, Role: pulumi.String("arn:aws:iam::000000000000:role/echo"), Runtime: pulumi.String("provided.al2023"), Handler: pulumi.String("bootstrap"),
			Environment: &awslambda.FunctionEnvironmentArgs{Variables: pulumi.StringMap{"HYDRANT_EVENT_BUS": pulumi.String("the-bus")}},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	env := <-got
	if env.Getenv("HYDRANT_EVENT_BUS") != "the-bus" || env.Getenv("AWS_ENDPOINT_URL_EVENTBRIDGE") != c.Endpoints().EventBridge ||
		env.Getenv("AWS_ENDPOINT_URL_S3") != c.Endpoints().S3 || !strings.HasPrefix(env.Name, "echo-") || env.Getenv("AWS_LAMBDA_FUNCTION_NAME") != env.Name {
		t.Errorf("function environment %v (name %s): want the program's variables and the local endpoints", env.Env, env.Name)
	}
	out, err := c.Invoke(context.Background(), env.Name, []byte(`{"say":"hi"}`))
	if err != nil || string(out) != `{"bus":"the-bus","echo":"hi"}` {
		t.Errorf("invoke: %s, %v", out, err)
	}

	c2 := start(t, localcloud.Options{})
	err = c2.Deploy(context.Background(), testStack(), func(ctx *pulumi.Context) error {
		_, err := awslambda.NewFunction(ctx, "built", &awslambda.FunctionArgs{
			Code: pulumi.NewFileArchive(".cache/lambda/hydrate.zip"), Role: pulumi.String("arn:aws:iam::000000000000:role/x"),
		})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "built archive") || !strings.Contains(err.Error(), "SourceCode") {
		t.Errorf("deploy with a built archive: %v, want it refused naming localcloud.SourceCode", err)
	}
}
