package hydrantinfra_test

import (
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumix"
)

// A program that builds the Router itself (the component is public) and forgets
// TrustedStreams got a hydrate function with no allow-list: any principal that may send to the
// intake queue or topic could have records of any stream, made up, published as real. The
// open function is now a choice that must be written down (AdmitAnyStream, for a stack without
// IAM such as the local cloud's demo), never a default.
func TestRouterWithoutAnAllowListIsRefused(t *testing.T) {
	args := routerArgs()
	args.AdmitAnyStream = false
	args.TrustedStreams = nil
	err := runErr(func(ctx *pulumi.Context) error {
		_, err := hydrantinfra.NewRouter(ctx, "hydrant", args)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "TrustedStreams") {
		t.Fatalf("err = %v, want an error naming TrustedStreams", err)
	}

	// An empty allow-list is a choice too (the function refuses every failure record).
	args.TrustedStreams = []hydrantinfra.TrustedStream{}
	if err := runErr(func(ctx *pulumi.Context) error {
		_, err := hydrantinfra.NewRouter(ctx, "hydrant", args)
		return err
	}); err != nil {
		t.Fatalf("an empty allow-list: %v", err)
	}
}

// The S3 path trusts a failure object's key to name the mapping that wrote it only because the
// failure bucket's policy keeps each mapping's prefix to its consumer role (FailureWriters).
// A Router with an S3 stream on its allow-list and no FailureWriters let any consumer role
// write under another mapping's prefix: it is refused, naming FailureWriters.
func TestRouterWithAnS3StreamNeedsItsFailureWriters(t *testing.T) {
	args := routerArgs()
	args.AdmitAnyStream = false
	args.TrustedStreams = []hydrantinfra.TrustedStream{{StreamArn: pulumi.String("arn:aws:kinesis:us-east-1:123456789012:stream/orders"), Destination: hydrantinfra.DestinationS3}}
	build := func(ctx *pulumi.Context) error {
		_, err := hydrantinfra.NewRouter(ctx, "hydrant", args)
		return err
	}
	if err := runErr(build); err == nil || !strings.Contains(err.Error(), "FailureWriters") {
		t.Fatalf("err = %v, want an error naming FailureWriters", err)
	}
	args.FailureWriters = pulumix.Val([]hydrantinfra.FailureWriter{{MappingUUID: "6b5b4a4e-0d3c-4c1a-9c55-1f2e3d4c5b6a", RoleName: "orders-consumer"}})
	if err := runErr(build); err != nil {
		t.Fatalf("with its failure writers: %v", err)
	}
}
