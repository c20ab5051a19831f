// Package emulators gives tests and local runs the endpoints of the local AWS emulators started
// by scripts/emulators (kinesis-local, DynamoDB Local, goaws, gofakes3) and SDK clients wired to
// them. Tests call Main from TestMain and Get in each test; they never skip when an emulator is
// missing, they fail saying how to start it.
package emulators

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/hydrant-dev/hydrant/internal/awsclient"
)

// Endpoints are the base URLs (such as http://127.0.0.1:4568) of one running set of emulators.
// EventBridge is empty unless a local EventBridge endpoint was started.
type Endpoints struct {
	Region          string
	Kinesis         string
	DynamoDB        string
	DynamoDBStreams string
	SQS             string
	SNS             string
	S3              string
	EventBridge     string
}

// DefaultRegion is the region the emulators are started with and the one used when the
// environment names none.
const DefaultRegion = "us-east-1"

// The access key the emulators are used with; none of them checks signatures. kinesis-local
// maps any key that is not a 12-digit number to account 000000000000.
const (
	accessKeyID     = "test"
	secretAccessKey = "test"
)

// endpointVar is an SDK environment variable and the Endpoints field it fills.
type endpointVar struct {
	name     string
	field    func(*Endpoints) *string
	optional bool
}

// endpointVars lists the variables, in the order scripts/emulators prints them; only
// EventBridge is optional.
func endpointVars() []endpointVar {
	return []endpointVar{
		{"AWS_ENDPOINT_URL_KINESIS", func(e *Endpoints) *string { return &e.Kinesis }, false},
		{"AWS_ENDPOINT_URL_DYNAMODB", func(e *Endpoints) *string { return &e.DynamoDB }, false},
		{"AWS_ENDPOINT_URL_DYNAMODB_STREAMS", func(e *Endpoints) *string { return &e.DynamoDBStreams }, false},
		{"AWS_ENDPOINT_URL_SQS", func(e *Endpoints) *string { return &e.SQS }, false},
		{"AWS_ENDPOINT_URL_SNS", func(e *Endpoints) *string { return &e.SNS }, false},
		{"AWS_ENDPOINT_URL_S3", func(e *Endpoints) *string { return &e.S3 }, false},
		{"AWS_ENDPOINT_URL_EVENTBRIDGE", func(e *Endpoints) *string { return &e.EventBridge }, true},
	}
}

// FromEnv reads the endpoints from AWS_ENDPOINT_URL_<SERVICE> (as printed by scripts/emulators
// up) and the region from AWS_REGION or AWS_DEFAULT_REGION. It reports false unless every
// required endpoint (all but EventBridge) is set.
func FromEnv() (Endpoints, bool) {
	e := Endpoints{Region: os.Getenv("AWS_REGION")}
	if e.Region == "" {
		e.Region = os.Getenv("AWS_DEFAULT_REGION")
	}
	if e.Region == "" {
		e.Region = DefaultRegion
	}
	ok := true
	for _, v := range endpointVars() {
		*v.field(&e) = os.Getenv(v.name)
		if *v.field(&e) == "" && !v.optional {
			ok = false
		}
	}
	return e, ok
}

// missingEnv names the required endpoint variables that are not set.
func missingEnv() []string {
	var missing []string
	for _, v := range endpointVars() {
		if !v.optional && os.Getenv(v.name) == "" {
			missing = append(missing, v.name)
		}
	}
	return missing
}

// Validate checks that the region is set and that every endpoint that is set is an absolute
// http(s) URL with a host.
func (e Endpoints) Validate() error {
	var errs []error
	if e.Region == "" {
		errs = append(errs, errors.New("region is empty"))
	}
	for _, v := range endpointVars() {
		raw := *v.field(&e)
		if raw == "" {
			if !v.optional {
				errs = append(errs, fmt.Errorf("%s is empty", v.name))
			}
			continue
		}
		u, err := url.Parse(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", v.name, raw, err))
			continue
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s=%q: want an http:// or https:// URL with a host", v.name, raw))
		}
	}
	return errors.Join(errs...)
}

// Get returns the endpoints of the running emulators, failing the test when there are none:
// the package's TestMain must call Main, or the tests must run under scripts/test.
func Get(t testing.TB) Endpoints {
	t.Helper()
	e, ok := FromEnv()
	if !ok {
		t.Fatalf("emulators: no emulator endpoints in the environment (missing %s): call emulators.Main(m) from TestMain, run `make test`, or eval \"$(scripts/emulators up)\"",
			strings.Join(missingEnv(), ", "))
	}
	if err := e.Validate(); err != nil {
		t.Fatalf("emulators: bad emulator endpoints in the environment: %v", err)
	}
	return e
}

// Config is an SDK configuration for the emulators: static dummy credentials and the region,
// built by hand so that nothing leaks in from ~/.aws or AWS_* variables. Clients made from it
// need a BaseEndpoint; the constructors below set it.
func (e Endpoints) Config() aws.Config {
	return aws.Config{
		Region:      e.Region,
		Credentials: credentials.NewStaticCredentialsProvider(accessKeyID, secretAccessKey, ""),
		// A buildable client rather than a plain *http.Client keeps AWS_CA_BUNDLE-style options working.
		HTTPClient: awshttp.NewBuildableClient(),
	}
}

// KinesisClient returns a Kinesis client for the emulator (kinesis-local, AWS JSON 1.1).
func (e Endpoints) KinesisClient(optFns ...func(*kinesis.Options)) *kinesis.Client {
	return kinesis.NewFromConfig(e.Config(), prepend(func(o *kinesis.Options) { o.BaseEndpoint = aws.String(e.Kinesis) }, optFns)...)
}

// DynamoDBClient returns a DynamoDB client for DynamoDB Local.
func (e Endpoints) DynamoDBClient(optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.NewFromConfig(e.Config(), prepend(func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(e.DynamoDB) }, optFns)...)
}

// DynamoDBStreamsClient returns a DynamoDB Streams client for DynamoDB Local. Its stream ARNs carry
// the region "ddblocal": pass them through unchanged.
func (e Endpoints) DynamoDBStreamsClient(optFns ...func(*dynamodbstreams.Options)) *dynamodbstreams.Client {
	return dynamodbstreams.NewFromConfig(e.Config(), prepend(func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(e.DynamoDBStreams) }, optFns)...)
}

// SQSClient returns an SQS client for goaws, on the query protocol (see awsclient.SQS).
func (e Endpoints) SQSClient(optFns ...func(*sqs.Options)) *sqs.Client {
	return awsclient.SQS(e.Config(), prepend(func(o *sqs.Options) { o.BaseEndpoint = aws.String(e.SQS) }, optFns)...)
}

// SNSClient returns an SNS client for goaws.
func (e Endpoints) SNSClient(optFns ...func(*sns.Options)) *sns.Client {
	return sns.NewFromConfig(e.Config(), prepend(func(o *sns.Options) { o.BaseEndpoint = aws.String(e.SNS) }, optFns)...)
}

// S3Client returns an S3 client for gofakes3, with path-style addressing (bucket in the path, since
// BUCKET.127.0.0.1 does not resolve).
func (e Endpoints) S3Client(optFns ...func(*s3.Options)) *s3.Client {
	return s3.NewFromConfig(e.Config(), prepend(func(o *s3.Options) {
		o.BaseEndpoint = aws.String(e.S3)
		o.UsePathStyle = true
	}, optFns)...)
}

// ErrNoEventBridge is returned by every call of an EventBridgeClient made while no local
// EventBridge endpoint is known.
var ErrNoEventBridge = errors.New("emulators: no local EventBridge endpoint: set AWS_ENDPOINT_URL_EVENTBRIDGE or set Endpoints.EventBridge to a running internal/localcloud/eventbus server")

// EventBridgeClient returns an EventBridge client for the local EventBridge endpoint. While
// e.EventBridge is empty every call fails with ErrNoEventBridge instead of reaching real AWS.
func (e Endpoints) EventBridgeClient(optFns ...func(*eventbridge.Options)) *eventbridge.Client {
	return eventbridge.NewFromConfig(e.Config(), prepend(func(o *eventbridge.Options) {
		if e.EventBridge != "" {
			o.BaseEndpoint = aws.String(e.EventBridge)
			return
		}
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("NoLocalEventBridge",
				func(context.Context, middleware.InitializeInput, middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					return middleware.InitializeOutput{}, middleware.Metadata{}, ErrNoEventBridge
				}), middleware.Before)
		})
	}, optFns)...)
}

// prepend puts the emulator settings first so that callers' options can override them.
func prepend[O any](first func(*O), rest []func(*O)) []func(*O) {
	return append([]func(*O){first}, rest...)
}
