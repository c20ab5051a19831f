// Command hydrate is the hydrate Lambda function (provided.al2023, arm64, built with
// -tags lambda.norpc): it consumes the intake queue and puts a RecordHydrated event on the
// bus for every record of every failed batch. The logic lives in internal/intake.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/hydrant-dev/hydrant/internal/awsclient"
	"github.com/hydrant-dev/hydrant/internal/emf"
	"github.com/hydrant-dev/hydrant/internal/intake"
)

func main() {
	cfg, err := intake.ConfigFromEnv(os.Getenv)
	if err != nil {
		// An init error: Lambda reports it and no message is consumed, so none is lost.
		slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error("invalid configuration", slog.String("error", err.Error()))
		os.Exit(1)
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	awsCfg, err := awsclient.Load(context.Background())
	if err != nil {
		log.Error("load AWS configuration", slog.String("error", err.Error()))
		os.Exit(1)
	}
	svc, err := intake.NewServices(awsCfg, cfg, log)
	if err != nil {
		log.Error("build services", slog.String("error", err.Error()))
		os.Exit(1)
	}
	metrics := emf.New("Hydrant", map[string]string{"FunctionName": os.Getenv("AWS_LAMBDA_FUNCTION_NAME")})
	handler := intake.NewHandler(svc, log, metrics, os.Stdout, cfg.HandlerOptions())
	lambda.Start(handler.Handle)
}
