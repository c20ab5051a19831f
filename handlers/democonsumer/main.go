// Command democonsumer is the demo stack's consumer function for Kinesis and DynamoDB streams:
// it reports poison records as batch item failures, or processes them once the environment
// variable DEMO_CONSUMER_FIXED is true (see package poison).
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/hydrant-dev/hydrant/handlers/democonsumer/poison"
)

func main() {
	c := poison.Consumer{Log: slog.New(slog.NewJSONHandler(os.Stdout, nil)), Getenv: os.Getenv}
	lambda.Start(c.Handle)
}
