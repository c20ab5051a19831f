// Package eventbus is a local Amazon EventBridge endpoint: an http.Handler that speaks the
// EventBridge API (AWS JSON 1.1, X-Amz-Target: AWSEvents.<Operation>) well enough for the
// unmodified aws-sdk-go-v2 eventbridge client, routes events with internal/eventpattern and
// delivers them, asynchronously and with each target's retry policy and dead-letter queue,
// to SQS, SNS, S3 (through Firehose delivery streams), other buses, in-process Lambda
// handlers and HTTP API destinations.
//
// It exists because no EventBridge emulator runs on a machine without Docker, and Hydrant's
// routing must behave locally exactly as it does in AWS. Where the endpoint knowingly departs
// from AWS (see docs/local-cloud.md), it refuses with a clear error instead of silently accepting.
// DECISIONS.md in this directory records each choice made from AWS-recorded behaviour and its
// evidence.
package eventbus
