// Package localcloud runs Hydrant's Pulumi program against local emulators: a Pulumi mock
// resource monitor that, instead of recording each resource, materialises it (queues and
// topics on goaws, buckets on gofakes3 behind an S3-notifying proxy, streams on kinesis-local,
// tables on DynamoDB Local, buses, rules, targets and archives on the local EventBridge
// endpoint, functions as in-process handlers, event source mappings as local pollers) and
// answers with the outputs the real resource would have, so that everything the program
// derives from them is wired as it would be in AWS.
//
// A resource type the local cloud cannot run is refused with its type token; IAM, alarms,
// dashboards, log groups and policies are accepted and listed without being enforced.
//
// monitor.go maps each resource type to the function that materialises it, in the file named
// after its service: sqs.go, sns.go, s3.go, kinesis.go, dynamodb.go, lambda.go (functions),
// eventsourcemappings.go, eventbridge.go, firehose.go and schemas.go. The endpoints in front
// of the emulators are packages of their own: eventbus (EventBridge), sqsjson (SQS's JSON
// protocol for goaws), s3notify (S3 event notifications for gofakes3) and firehose (custom
// S3 prefixes); esm polls event source mappings and demo runs the demo scenario.
package localcloud

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hydrant-dev/hydrant/infra/plan"
	"github.com/hydrant-dev/hydrant/internal/localcloud/eventbus"
	"github.com/hydrant-dev/hydrant/internal/localcloud/lambdaapi"
	"github.com/hydrant-dev/hydrant/internal/localcloud/s3notify"
	"github.com/hydrant-dev/hydrant/internal/localcloud/sqsjson"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

// AccountID is the account of every local ARN: the one goaws and kinesis-local use.
const AccountID = "000000000000"

// Options configure a Cloud.
type Options struct {
	// Endpoints of the running emulators (Kinesis, DynamoDB, DynamoDB Streams, SQS, SNS, S3).
	// Endpoints.EventBridge is ignored: the cloud serves its own EventBridge endpoint, whose
	// in-process Lambda targets and Firehose streams come from the program.
	Endpoints emulators.Endpoints
	// Functions maps handler packages to the code they run; default Functions().
	Functions map[string]FunctionFactory
	// ExternalFunctions are functions that exist outside the program (a stream source that
	// names a consumer deployed elsewhere), by function name.
	ExternalFunctions map[string]Function
	// Host the EventBridge endpoint and the S3 proxy listen on; default 127.0.0.1.
	Host string
	// FirehoseBufferInterval replaces every delivery stream's buffering interval, so that
	// archived events show up in seconds rather than Firehose's minutes; default 2 s.
	FirehoseBufferInterval time.Duration
	// TargetRetryBaseDelay is the local EventBridge endpoint's first retry backoff; default 1 s.
	TargetRetryBaseDelay time.Duration
	Logger               *slog.Logger
}

// Cloud is one local cloud: the local EventBridge endpoint and S3 proxy it serves, and the
// resources a program deployed onto it. Start it, Deploy a program, Close it.
type Cloud struct {
	opts   Options
	log    *slog.Logger
	region string
	cfg    aws.Config

	bus       *eventbus.Server
	busURL    string
	s3proxy   *s3notify.Proxy
	s3URL     string
	sqsURL    string
	sqsFront  *sqsjson.Endpoint // runs the message move tasks goaws lacks
	lambdaURL string
	servers   []*http.Server
	mappings  *mappings

	sqs  *sqs.Client
	sns  *sns.Client
	s3   *s3.Client
	kin  *kinesis.Client
	ddbs *dynamodbstreams.Client
	ddb  *dynamodb.Client
	eb   *eventbridge.Client

	// goaws v0.4.5 reads its queue map without a lock in CreateQueue and dies of concurrent
	// creations ("concurrent map read and map write"); Pulumi registers resources
	// concurrently, so the cloud creates goaws resources one at a time.
	goawsMu sync.Mutex

	mu        sync.Mutex
	resources []Resource
	functions map[string]*function // by name
	schemas   map[string]map[string]Schema
	firehoses map[string]DeliveryStream // by ARN
}

// DeliveryStream is where a local Firehose delivery stream writes.
type DeliveryStream struct {
	Name, ARN, Bucket, Prefix string
}

// DeliveryStreams lists the deployment's Firehose delivery streams.
func (c *Cloud) DeliveryStreams() []DeliveryStream {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]DeliveryStream, 0, len(c.firehoses))
	for _, d := range c.firehoses {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}

// Start serves the local EventBridge endpoint and the S3 notification proxy for the emulators
// at opts.Endpoints.
func Start(ctx context.Context, opts Options) (*Cloud, error) {
	e := opts.Endpoints
	for name, v := range map[string]string{"Kinesis": e.Kinesis, "DynamoDB": e.DynamoDB, "DynamoDB Streams": e.DynamoDBStreams, "SQS": e.SQS, "SNS": e.SNS, "S3": e.S3} {
		if v == "" {
			return nil, fmt.Errorf("start local cloud: no %s endpoint", name)
		}
	}
	if e.Region == "" {
		e.Region = emulators.DefaultRegion
		opts.Endpoints = e
	}
	if opts.Functions == nil {
		opts.Functions = Functions()
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.FirehoseBufferInterval <= 0 {
		opts.FirehoseBufferInterval = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	c := &Cloud{
		opts: opts, log: opts.Logger.With("component", "localcloud"), region: e.Region,
		functions: map[string]*function{}, schemas: map[string]map[string]Schema{}, firehoses: map[string]DeliveryStream{},
	}
	lns, err := listen(opts.Host, "EventBridge", "S3", "SQS", "Lambda")
	if err != nil {
		return nil, fmt.Errorf("start local cloud: %w", err)
	}
	busLn, s3Ln, sqsLn, lambdaLn := lns[0], lns[1], lns[2], lns[3]
	c.busURL = "http://" + busLn.Addr().String()
	c.s3URL = "http://" + s3Ln.Addr().String()
	c.sqsURL = "http://" + sqsLn.Addr().String()
	c.lambdaURL = "http://" + lambdaLn.Addr().String()
	// Everything the cloud and its functions call goes through the cloud's own endpoints.
	local := c.Endpoints()
	c.cfg = local.Config()
	c.cfg.ConfigSources = append(c.cfg.ConfigSources, serviceEndpoints{Endpoints: local, lambda: c.lambdaURL})
	// The cloud's own SQS calls go to goaws directly, on the query protocol.
	c.sqs = e.SQSClient()
	c.sns = local.SNSClient()
	c.s3 = local.S3Client()
	c.kin = local.KinesisClient()
	c.ddbs = local.DynamoDBStreamsClient()
	c.ddb = local.DynamoDBClient()
	c.eb = local.EventBridgeClient()

	c.s3proxy, err = s3notify.New(e, AccountID, c.sqs, c.sns, c.log)
	var sqsProxy *sqsjson.Endpoint
	if err == nil {
		sqsProxy, err = sqsjson.New(e.SQS, c.sqs)
		c.sqsFront = sqsProxy
	}
	if err != nil {
		closeAll(lns)
		return nil, fmt.Errorf("start local cloud: %w", err)
	}
	c.bus = eventbus.New(eventbus.Options{
		Region: c.region, AccountID: AccountID,
		SQS: c.sqs, SNS: c.sns, S3: c.s3,
		RetryBaseDelay: opts.TargetRetryBaseDelay,
		Logger:         opts.Logger,
	})
	c.mappings = newMappings(c)
	for name := range opts.ExternalFunctions {
		f, _ := c.function(name)
		c.bus.RegisterFunction(f.arn, func(ctx context.Context, event []byte) error {
			_, err := f.invoke(ctx, event)
			return err
		})
	}
	for _, l := range []struct {
		ln net.Listener
		h  http.Handler
	}{{busLn, c.bus}, {s3Ln, c.s3proxy}, {sqsLn, sqsProxy}, {lambdaLn, lambdaapi.New(lambdaFunctions{c}, c.log)}} {
		srv := &http.Server{Handler: l.h, ReadHeaderTimeout: 10 * time.Second}
		c.servers = append(c.servers, srv)
		go func() {
			if err := srv.Serve(l.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				c.log.Error("local endpoint stopped", "addr", l.ln.Addr().String(), "error", err)
			}
		}()
	}
	return c, nil
}

// listen opens one loopback listener on a free port per endpoint name, or none: on an error
// the ones already open are closed.
func listen(host string, names ...string) ([]net.Listener, error) {
	lns := make([]net.Listener, 0, len(names))
	for _, name := range names {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			closeAll(lns)
			return nil, fmt.Errorf("%s listener: %w", name, err)
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		ln.Close()
	}
}

// Endpoints are the local cloud's endpoints: the emulators', with EventBridge served by the
// cloud, S3 through the cloud's notifying proxy and SQS through its JSON-protocol adapter.
func (c *Cloud) Endpoints() emulators.Endpoints {
	e := c.opts.Endpoints
	e.EventBridge = c.busURL
	e.S3 = c.s3URL
	e.SQS = c.sqsURL
	return e
}

// Env is the environment that points the AWS CLI or an SDK at the local cloud, in the order
// to print it.
func (c *Cloud) Env() [][2]string {
	e := c.Endpoints()
	return [][2]string{
		{"AWS_ENDPOINT_URL_KINESIS", e.Kinesis},
		{"AWS_ENDPOINT_URL_DYNAMODB", e.DynamoDB},
		{"AWS_ENDPOINT_URL_DYNAMODB_STREAMS", e.DynamoDBStreams},
		{"AWS_ENDPOINT_URL_SQS", e.SQS},
		{"AWS_ENDPOINT_URL_SNS", e.SNS},
		{"AWS_ENDPOINT_URL_S3", e.S3},
		{"AWS_ENDPOINT_URL_EVENTBRIDGE", e.EventBridge},
		{"AWS_ENDPOINT_URL_LAMBDA", c.lambdaURL},
		{"AWS_REGION", e.Region},
		{"AWS_DEFAULT_REGION", e.Region}, // the AWS CLI v1 reads only this one
		{"AWS_ACCESS_KEY_ID", "test"},
		{"AWS_SECRET_ACCESS_KEY", "test"},
	}
}

// AWSConfig is an SDK configuration whose clients reach the local cloud (each service's base
// endpoint set as AWS_ENDPOINT_URL_<SERVICE> would set it).
func (c *Cloud) AWSConfig() aws.Config { return c.cfg.Copy() }

// Deploy runs program under the local cloud's mock monitor with the stack's configuration:
// every resource it registers is created on the emulators. A resource the local cloud cannot
// run fails the deployment with its type.
func (c *Cloud) Deploy(ctx context.Context, stack *plan.StackConfig, program pulumi.RunFunc) error {
	m := &monitor{cloud: c, ctx: ctx}
	err := pulumi.RunErr(program,
		pulumi.WithMocks(stack.Project, stack.Stack, m),
		func(ri *pulumi.RunInfo) {
			ri.Config = stack.Values
			ri.ConfigSecretKeys = stack.SecretKeys
		})
	if err != nil {
		return fmt.Errorf("deploy stack %s locally: %w", stack.Stack, err)
	}
	// Mappings start once everything they name exists.
	if err := c.mappings.startAll(ctx); err != nil {
		return fmt.Errorf("deploy stack %s locally: %w", stack.Stack, err)
	}
	return nil
}

// DeployTeam runs a team's own stack (infra/stack.TeamInboxProgram, or a program like
// docs/teams.md's) on the same local cloud, standing for the team's account: its inbox bus,
// rules and queues are created beside the central stack's, and the central rule whose target
// names the inbox bus (by ARN, in the team's account) delivers to it. The resources it creates
// carry the stack's name as their Team. Every local ARN carries
// the one local account, so the accounts differ only in name; policies are not enforced
// locally. Event source mappings are not started: a team stack has none.
func (c *Cloud) DeployTeam(ctx context.Context, stack *plan.StackConfig, program pulumi.RunFunc) error {
	m := &monitor{cloud: c, ctx: ctx, team: stack.Stack}
	if err := pulumi.RunErr(program, pulumi.WithMocks(stack.Project, stack.Stack, m), func(ri *pulumi.RunInfo) {
		ri.Config = stack.Values
		ri.ConfigSecretKeys = stack.SecretKeys
	}); err != nil {
		return fmt.Errorf("deploy team stack %s locally: %w", stack.Stack, err)
	}
	return nil
}

// Close stops the mappings, lets the EventBridge endpoint finish its deliveries (flushing
// Firehose buffers) until ctx ends, and stops the local endpoints.
func (c *Cloud) Close(ctx context.Context) error {
	var errs []error
	if err := c.mappings.stopAll(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := c.bus.Close(ctx); err != nil {
		errs = append(errs, err)
	}
	for _, s := range c.servers {
		if err := s.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	c.sqsFront.Close()
	return errors.Join(errs...)
}

// Resource is one resource of the deployment.
type Resource struct {
	Type     string `json:"type"`
	Name     string `json:"name"`             // the program's (logical) name
	Parent   string `json:"parent,omitempty"` // the parent component's name
	ID       string `json:"id,omitempty"`     // the physical id the program sees
	ARN      string `json:"arn,omitempty"`
	Physical string `json:"physical,omitempty"` // the emulator-side name (queue, bucket, stream, ...)
	// Mode is how the local cloud holds it: "created" on an emulator or the local endpoint,
	// "running" in-process (functions, mappings), "kept" (schemas, held in memory), "accepted"
	// (listed, not enforced: IAM, alarms, dashboards, policies), "component".
	Mode string `json:"mode"`
	Note string `json:"note,omitempty"`
	// Team is the team whose own stack created it (DeployTeam), standing for the team's
	// account; "" for the central stack's resources.
	Team string `json:"team,omitempty"`
}

// Resource modes.
const (
	ModeCreated   = "created"
	ModeRunning   = "running"
	ModeKept      = "kept"
	ModeAccepted  = "accepted"
	ModeComponent = "component"
)

// Resources are the deployment's resources, ordered by type then name.
func (c *Cloud) Resources() []Resource {
	c.mu.Lock()
	out := append([]Resource(nil), c.resources...)
	c.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Find returns the resource with the type and logical name.
func (c *Cloud) Find(typ, name string) (Resource, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.resources {
		if r.Type == typ && r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}

// OfType returns the resources of a type, ordered by name.
func (c *Cloud) OfType(typ string) []Resource {
	var out []Resource
	for _, r := range c.Resources() {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

func (c *Cloud) record(r Resource) {
	c.mu.Lock()
	c.resources = append(c.resources, r)
	c.mu.Unlock()
}

// Schema is a schema of a local schema registry.
type Schema struct {
	Registry    string `json:"registry"`
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
	Content     string `json:"content"`
	Version     string `json:"version"`
}

// Schemas lists the schemas of every registry, ordered by registry and name.
func (c *Cloud) Schemas() []Schema {
	c.mu.Lock()
	var out []Schema
	for _, reg := range c.schemas {
		for _, s := range reg {
			out = append(out, s)
		}
	}
	c.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Registry != out[j].Registry {
			return out[i].Registry < out[j].Registry
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// serviceEndpoints gives SDK clients built from an aws.Config their service's base endpoint,
// the way AWS_ENDPOINT_URL_<SERVICE> does, without touching the process environment.
type serviceEndpoints struct {
	emulators.Endpoints
	lambda string
}

// GetServiceBaseEndpoint implements the SDK's configsources.ServiceBaseEndpointProvider.
func (e serviceEndpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	var v string
	switch sdkID {
	case kinesis.ServiceID:
		v = e.Kinesis
	case dynamodb.ServiceID:
		v = e.DynamoDB
	case dynamodbstreams.ServiceID:
		v = e.DynamoDBStreams
	case sqs.ServiceID:
		v = e.SQS
	case sns.ServiceID:
		v = e.SNS
	case s3.ServiceID:
		v = e.S3
	case eventbridge.ServiceID:
		v = e.EventBridge
	case lambda.ServiceID:
		v = e.lambda
	}
	return v, v != "", nil
}
