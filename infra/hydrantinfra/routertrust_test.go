package hydrantinfra_test

import (
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
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
