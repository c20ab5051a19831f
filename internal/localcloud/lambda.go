package localcloud

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/google/uuid"

	"github.com/hydrant-dev/hydrant/internal/localcloud/lambdaapi"
)

// function is an in-process Lambda function of the deployment.
type function struct {
	name, arn string
	role      string // execution role ARN
	pkg       string
	timeout   time.Duration
	fn        Function
	env       *liveEnv
	// sem bounds concurrent invocations (reserved concurrency); nil is unbounded.
	sem chan struct{}
}

// FunctionError is a function's error result, as Lambda reports it (X-Amz-Function-Error).
type FunctionError struct {
	Function string
	Err      error
}

func (e *FunctionError) Error() string { return fmt.Sprintf("function %s: %v", e.Function, e.Err) }
func (e *FunctionError) Unwrap() error { return e.Err }

// FunctionErrorType is the errorType the Lambda API reports for the failure.
func (e *FunctionError) FunctionErrorType() string {
	if strings.HasPrefix(e.Err.Error(), "panic: ") {
		return "Runtime.Panic"
	}
	// The handler's error type without its pointer, as aws-lambda-go reports it ("errorString").
	t := reflect.TypeOf(e.Err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// lambdaFunctions is the local cloud as the Lambda API endpoint serves it.
type lambdaFunctions struct{ c *Cloud }

func (l lambdaFunctions) Invoke(ctx context.Context, nameOrARN string, payload []byte) ([]byte, error) {
	return l.c.Invoke(ctx, nameOrARN, payload)
}

func (l lambdaFunctions) Exists(nameOrARN string) (string, bool) {
	f, err := l.c.function(nameOrARN)
	if err != nil {
		return "", false
	}
	return f.arn, true
}

func (l lambdaFunctions) EventSourceMappings(function, source string) []lambdaapi.Mapping {
	var fnARN string
	if function != "" {
		f, err := l.c.function(function)
		if err != nil {
			return nil
		}
		fnARN = f.arn
	}
	var out []lambdaapi.Mapping
	for _, m := range l.c.Mappings() {
		arn := m.Config.FunctionARN
		if f, err := l.c.function(m.FunctionName); err == nil {
			arn = f.arn
		}
		if (fnARN != "" && arn != fnARN) || (source != "" && m.Config.EventSourceARN != source) {
			continue
		}
		state := "Enabled"
		if !m.Enabled() {
			state = "Disabled"
		}
		size := m.Config.BatchSize
		if size == 0 {
			size = 100 // the Lambda API's default for streams
		}
		lm := lambdaapi.Mapping{UUID: m.Config.UUID, BatchSize: size, EventSourceArn: m.Config.EventSourceARN, FunctionArn: arn, State: state,
			EventSourceMappingArn: l.c.arn("lambda", "event-source-mapping:"+m.Config.UUID)}
		if d := m.Config.DestinationConfig; d != nil && d.OnFailure != nil && d.OnFailure.DestinationARN != "" {
			lm.DestinationConfig = &lambdaapi.DestinationConfig{OnFailure: &lambdaapi.OnFailure{Destination: d.OnFailure.DestinationARN}}
		}
		out = append(out, lm)
	}
	return out
}

// invoke runs the function synchronously with Lambda's context (request id, function ARN,
// deadline from the timeout). A handler error or panic is a *FunctionError.
func (f *function) invoke(ctx context.Context, payload []byte) (out []byte, err error) {
	if f.sem != nil {
		select {
		case f.sem <- struct{}{}:
			defer func() { <-f.sem }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: uuid.NewString(), InvokedFunctionArn: f.arn})
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &FunctionError{Function: f.name, Err: fmt.Errorf("panic: %v", r)}
		}
	}()
	out, err = f.fn(ctx, payload)
	if err != nil {
		return nil, &FunctionError{Function: f.name, Err: err}
	}
	return out, nil
}

// Invoke calls a function of the deployment (or an external one) by name or ARN, as the
// Lambda Invoke API does with RequestResponse.
func (c *Cloud) Invoke(ctx context.Context, nameOrARN string, payload []byte) ([]byte, error) {
	f, err := c.function(nameOrARN)
	if err != nil {
		return nil, err
	}
	return f.invoke(ctx, payload)
}

// function finds a function by name, ARN or qualified ARN.
func (c *Cloud) function(nameOrARN string) (*function, error) {
	name := nameOrARN
	if strings.HasPrefix(name, "arn:") {
		a, err := arn.Parse(name)
		fn, ok := strings.CutPrefix(a.Resource, "function:")
		if err != nil || a.Service != "lambda" || !ok || fn == "" {
			return nil, fmt.Errorf("%q is not a Lambda function ARN", nameOrARN)
		}
		name, _, _ = strings.Cut(fn, ":") // without the version or alias qualifier
	}
	c.mu.Lock()
	f, ok := c.functions[name]
	c.mu.Unlock()
	if ok {
		return f, nil
	}
	if fn, ok := c.opts.ExternalFunctions[name]; ok {
		return &function{name: name, arn: c.arn("lambda", "function:"+name), pkg: "(external)", timeout: 15 * time.Minute, fn: fn}, nil
	}
	return nil, fmt.Errorf("function %s does not exist in the local cloud", name)
}

// UpdateFunctionEnvironment sets environment variables of a function of the deployment, as
// `aws lambda update-function-configuration --environment` does for the invocations after it;
// unlike it, the variables not named keep their values. The function reads them at its next
// FunctionEnv.Getenv.
func (c *Cloud) UpdateFunctionEnvironment(nameOrARN string, vars map[string]string) error {
	f, err := c.function(nameOrARN)
	if err != nil {
		return fmt.Errorf("update environment of %s: %w", nameOrARN, err)
	}
	if f.env == nil {
		return fmt.Errorf("update environment of %s: an external function's environment is not the local cloud's", nameOrARN)
	}
	f.env.set(vars)
	c.log.Info("function environment updated", "function", f.name, "variables", envNames(vars))
	return nil
}

// LambdaEndpoint is the URL of the local cloud's Lambda API (AWS_ENDPOINT_URL_LAMBDA).
func (c *Cloud) LambdaEndpoint() string { return c.lambdaURL }

// FunctionNames lists the functions of the deployment.
func (c *Cloud) FunctionNames() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for n := range c.functions {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// createFunction builds the in-process handler of the package the function's code names,
// with the function's environment variables plus the local cloud's endpoints, and registers
// it with the local EventBridge endpoint for Lambda targets.
func (c *Cloud) createFunction(ctx context.Context, a regArgs) (created, error) {
	name := physicalName(a, "name", 64, false)
	pkg, err := handlerPackage(a.In, "code")
	if err != nil {
		return created{}, err
	}
	factory, ok := c.opts.Functions[pkg]
	if !ok {
		known := make([]string, 0, len(c.opts.Functions))
		for k := range c.opts.Functions {
			known = append(known, k)
		}
		sort.Strings(known)
		return created{}, fmt.Errorf("handler package %s has no in-process function (known: %s)", pkg, strings.Join(known, ", "))
	}
	arn := c.arn("lambda", "function:"+name)
	env := map[string]string{}
	if e := a.In.obj("environment"); e != nil {
		for k, v := range e.strMap("variables") {
			env[k] = v
		}
	}
	if doc, ok := env[trustedStreamsEnv]; ok {
		env[trustedStreamsEnv] = localSenders(doc)
	}
	env["AWS_REGION"] = c.region
	env["AWS_LAMBDA_FUNCTION_NAME"] = name
	for _, kv := range c.Env() {
		if strings.HasPrefix(kv[0], "AWS_ENDPOINT_URL_") {
			env[kv[0]] = kv[1]
		}
	}
	log := c.opts.Logger.With("function", name)
	live := &liveEnv{vars: map[string]string{}}
	live.set(env)
	fn, err := factory(ctx, FunctionEnv{Name: name, Env: env, AWS: c.AWSConfig(), Logger: log, live: live})
	if err != nil {
		return created{}, fmt.Errorf("init %s (%s): %w", name, pkg, err)
	}
	timeout := 3 * time.Second // Lambda's default
	if t, ok := a.In.num("timeout"); ok && t > 0 {
		timeout = time.Duration(t) * time.Second
	}
	f := &function{name: name, arn: arn, role: a.In.str("role"), pkg: pkg, timeout: timeout, fn: fn, env: live}
	note := "runs " + pkg + " in-process"
	if rc, ok := a.In.num("reservedConcurrentExecutions"); ok && rc > 0 {
		f.sem = make(chan struct{}, rc)
		note += fmt.Sprintf(", reserved concurrency %d", rc)
	}
	c.mu.Lock()
	if _, dup := c.functions[name]; dup {
		c.mu.Unlock()
		return created{}, fmt.Errorf("function %s already exists", name)
	}
	c.functions[name] = f
	c.mu.Unlock()
	// Rule targets invoke asynchronously: a function error is a failed delivery, retried.
	c.bus.RegisterFunction(arn, func(ctx context.Context, event []byte) error {
		_, err := f.invoke(ctx, event)
		return err
	})
	log.Debug("function created", "package", pkg, "env", envNames(env))
	return created{id: name, outputs: map[string]any{
		"arn": arn, "name": name, "qualifiedArn": arn + ":$LATEST", "version": "$LATEST",
		"invokeArn": fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", c.region, arn),
	}, res: Resource{ARN: arn, Physical: name, Mode: ModeRunning, Note: note}}, nil
}

func envNames(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k := range env {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// trustedStreamsEnv is the hydrate function's allow-list (hydrantinfra.EnvTrustedStreams).
const trustedStreamsEnv = "HYDRANT_TRUSTED_STREAMS"

// localSenders adds the local account to the senders of every SQS stream of an allow-list: the
// local cloud has no IAM, and goaws stamps every message's SenderId with the account, so the
// consumer role's unique ID never appears. A departure from AWS, where only the role passes.
func localSenders(doc string) string {
	var streams []map[string]any
	if err := json.Unmarshal([]byte(doc), &streams); err != nil {
		return doc // the function reports it at init
	}
	for _, s := range streams {
		if ids, ok := s["senderRoleIds"].([]any); ok {
			s["senderRoleIds"] = append(ids, AccountID)
		}
	}
	b, err := json.Marshal(streams)
	if err != nil {
		return doc
	}
	return string(b)
}
