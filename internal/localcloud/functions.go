package localcloud

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hydrant-dev/hydrant/handlers/democonsumer/poison"
	"github.com/hydrant-dev/hydrant/internal/emf"
	"github.com/hydrant-dev/hydrant/internal/intake"
)

// Function is an in-process Lambda function: it takes the invocation payload and returns the
// response payload, or a function error.
type Function func(ctx context.Context, payload []byte) ([]byte, error)

// FunctionEnv is what a function gets when the local cloud creates it: the environment
// variables the program set on it (plus AWS_REGION, AWS_LAMBDA_FUNCTION_NAME and the local
// AWS_ENDPOINT_URL_<SERVICE> variables), an SDK configuration pointed at the local cloud,
// and a logger.
type FunctionEnv struct {
	Name string
	// Env is the environment at creation; Getenv reads the current one.
	Env    map[string]string
	AWS    aws.Config
	Logger *slog.Logger
	live   *liveEnv
}

// Getenv reads the function's environment as os.Getenv would inside Lambda: the current one,
// with what Cloud.UpdateFunctionEnvironment changed since the function was created (Lambda
// starts new execution environments after update-function-configuration; an in-process
// function has one, so the change shows at its next read).
func (e FunctionEnv) Getenv(key string) string {
	if e.live != nil {
		return e.live.get(key)
	}
	return e.Env[key]
}

// liveEnv is a function's environment, which UpdateFunctionEnvironment changes while the
// function runs.
type liveEnv struct {
	mu   sync.Mutex
	vars map[string]string
}

func (l *liveEnv) get(key string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.vars[key]
}

func (l *liveEnv) set(vars map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, v := range vars {
		l.vars[k] = v
	}
}

// FunctionFactory builds a function from its environment, as the handler's main does at init.
type FunctionFactory func(ctx context.Context, env FunctionEnv) (Function, error)

// Handler wraps a handler function of any signature aws-lambda-go's lambda.Start accepts.
// aws-lambda-go's wrapper encodes every response into one buffer it reuses (a Lambda runtime
// handles one invocation at a time), so each invocation gets a wrapper of its own.
func Handler(handlerFunc any) Function {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		return lambda.NewHandler(handlerFunc).Invoke(ctx, payload)
	}
}

// Handler packages, as the program names them in a function's code (SourceCode).
const (
	HydratePackage      = "./handlers/hydrate"
	DemoConsumerPackage = "./handlers/democonsumer"
)

// Functions maps each handler package of this repository to the code its main runs.
func Functions() map[string]FunctionFactory {
	return map[string]FunctionFactory{
		HydratePackage: func(ctx context.Context, env FunctionEnv) (Function, error) {
			cfg, err := intake.ConfigFromEnv(env.Getenv)
			if err != nil {
				return nil, err
			}
			svc, err := intake.NewServices(env.AWS, cfg, env.Logger)
			if err != nil {
				return nil, err
			}
			metrics := emf.New("Hydrant", map[string]string{"FunctionName": env.Name})
			// EMF records go where Lambda would print them: the function's log.
			return Handler(intake.NewHandler(svc, env.Logger, metrics, slogWriter{env.Logger}, cfg.HandlerOptions()).Handle), nil
		},
		DemoConsumerPackage: func(ctx context.Context, env FunctionEnv) (Function, error) {
			return Handler(poison.Consumer{Log: env.Logger, Getenv: env.Getenv}.Handle), nil
		},
	}
}

// slogWriter writes each line (an EMF record) to the logger at debug level.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Debug("metrics", "emf", strings.TrimSpace(string(p)))
	return len(p), nil
}

// codeScheme marks a function archive that names a handler package instead of holding a zip.
const codeScheme = "hydrant-handler://"

// SourceCode is the program's code supplier under the local cloud (infra/stack.Code): instead
// of compiling a handler into a zip it returns an archive naming the handler's package, which
// the local cloud maps to the in-process function (Functions).
type SourceCode struct{}

// Archive returns a remote archive hydrant-handler://<package>.
func (SourceCode) Archive(pkg string) (pulumi.Archive, error) {
	clean := path.Clean(strings.TrimPrefix(pkg, "./"))
	if clean == "." || strings.HasPrefix(clean, "..") || path.IsAbs(clean) {
		return nil, fmt.Errorf("source code: package %q is not a path inside the module", pkg)
	}
	return pulumi.NewRemoteArchive(codeScheme + "./" + clean), nil
}

// handlerPackage returns the package a function's code archive names.
func handlerPackage(code props, key string) (string, error) {
	v, ok := code.get(key)
	if !ok || !v.IsArchive() {
		return "", fmt.Errorf("no code archive (%s)", key)
	}
	a := v.ArchiveValue()
	if pkg, ok := strings.CutPrefix(a.URI, codeScheme); ok {
		return pkg, nil
	}
	where := a.Path
	if where == "" {
		where = a.URI
	}
	return "", fmt.Errorf("code %q is a built archive; the local cloud runs handlers in-process and needs the program's code to name the handler package (run the program with localcloud.SourceCode)", where)
}
