// Package awsclient builds AWS SDK configuration and clients the one way every Hydrant
// component uses them, so that real AWS and the local emulators are reached by the same code.
package awsclient

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// Load returns the SDK's standard configuration: the default credential chain, the region from
// the environment or shared config, and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>, which
// each service client then honours. It leaves the HTTP client to the SDK, which is what keeps it
// working when AWS_CA_BUNDLE is set (a plain *http.Client cannot take the extra root CAs).
func Load(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx, optFns...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// SQS returns an SQS client that speaks the AWS query protocol. Real SQS still accepts it (the
// service is AWSQueryCompatible) and goaws v0.4.5, the local emulator, understands nothing else;
// the SDK's default since late 2023 is AWS JSON 1.0. Every package that talks SQS uses this.
func SQS(cfg aws.Config, optFns ...func(*sqs.Options)) *sqs.Client {
	fns := make([]func(*sqs.Options), 0, len(optFns)+1)
	fns = append(fns, func(o *sqs.Options) { o.Protocol = awsquery.New(schemas.AmazonSQS) })
	fns = append(fns, optFns...)
	return sqs.NewFromConfig(cfg, fns...)
}
