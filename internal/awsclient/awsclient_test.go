//go:build integration

package awsclient_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hydrant-dev/hydrant/internal/awsclient"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

func TestMain(m *testing.M) { emulators.Main(m) }

// isolate keeps the machine's shared config and profile out of Load, leaving the emulators'
// AWS_ENDPOINT_URL_* variables, region and dummy keys (exported by emulators.Main or scripts/test).
func isolate(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CA_BUNDLE", "")
	emulators.Get(t) // fails the test unless the emulators' variables are set
}

// TestLoadHonoursServiceEndpoints shows that a client built from Load, with no endpoint option,
// reaches the emulator named by AWS_ENDPOINT_URL_<SERVICE>: this is how the CLI runs locally.
func TestLoadHonoursServiceEndpoints(t *testing.T) {
	isolate(t)
	ctx := context.Background()
	cfg, err := awsclient.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e := emulators.Get(t)
	if cfg.Region != e.Region {
		t.Errorf("region = %q, want %q from the environment", cfg.Region, e.Region)
	}
	name := fmt.Sprintf("awsclient-%d", time.Now().UnixNano())
	// Created through the emulators package, listed through Load: the same server.
	if _, err := e.KinesisClient().CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatalf("CreateStream: %v", err)
	}
	out, err := kinesis.NewFromConfig(cfg).DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeStreamSummary through Load's config: %v", err)
	}
	if got := aws.ToString(out.StreamDescriptionSummary.StreamName); got != name {
		t.Errorf("stream name = %q, want %q", got, name)
	}

	// S3 through Load: the SDK switches to path-style addressing by itself for an IP endpoint.
	bucket := fmt.Sprintf("awsclient-%d", time.Now().UnixNano())
	s3c := s3.NewFromConfig(cfg)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket through Load's config: %v", err)
	}
	if _, err := e.S3Client().HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("HeadBucket on the emulator: %v", err)
	}
}

// TestLoadWithCABundle: with AWS_CA_BUNDLE set, Load must still give a working configuration
// (a plain *http.Client would make LoadDefaultConfig fail).
func TestLoadWithCABundle(t *testing.T) {
	isolate(t)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, selfSignedPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	ctx := context.Background()
	cfg, err := awsclient.Load(ctx)
	if err != nil {
		t.Fatalf("Load with AWS_CA_BUNDLE=%s: %v", bundle, err)
	}
	if _, err := kinesis.NewFromConfig(cfg).ListStreams(ctx, &kinesis.ListStreamsInput{}); err != nil {
		t.Fatalf("ListStreams with AWS_CA_BUNDLE set: %v", err)
	}

	t.Setenv("AWS_CA_BUNDLE", filepath.Join(t.TempDir(), "missing.pem"))
	if _, err := awsclient.Load(ctx); err == nil {
		t.Fatal("Load with a missing AWS_CA_BUNDLE file succeeded, want an error")
	}
}

// TestSQS runs the calls Hydrant makes on its intake queue through awsclient.SQS against goaws,
// which only speaks the query protocol.
func TestSQS(t *testing.T) {
	isolate(t)
	ctx := context.Background()
	cfg, err := awsclient.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := awsclient.SQS(cfg)
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprintf("awsclient-%d", time.Now().UnixNano()))})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	body := `{"requestContext":{"condition":"RetryAttemptsExhausted"}}`
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		MessageAttributeNames: []string{"All"}})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	if len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != body || aws.ToString(out.Messages[0].MessageAttributes["k"].StringValue) != "v" {
		t.Fatalf("ReceiveMessage = %+v, want the message sent", out.Messages)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: out.Messages[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	// Errors come back typed on the query protocol too.
	_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("awsclient-no-such-queue")})
	var missing *sqstypes.QueueDoesNotExist
	if !errors.As(err, &missing) {
		t.Fatalf("GetQueueUrl of a missing queue = %v, want *types.QueueDoesNotExist", err)
	}

	// Options passed to SQS apply after the protocol switch.
	var seen bool
	c2 := awsclient.SQS(cfg, func(o *sqs.Options) { seen = o.Protocol != nil })
	if _, err := c2.ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil || !seen {
		t.Fatalf("ListQueues with an extra option: err %v, option saw the protocol set: %v", err, seen)
	}
}

func selfSignedPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hydrant test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: der}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
