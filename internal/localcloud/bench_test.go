//go:build integration

package localcloud_test

import (
	"context"
	"testing"
	"time"

	"github.com/hydrant-dev/hydrant/infra/plan"
	"github.com/hydrant-dev/hydrant/infra/stack"
	"github.com/hydrant-dev/hydrant/internal/localcloud"
	"github.com/hydrant-dev/hydrant/internal/localcloud/demo"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

// BenchmarkDeployDemoStack measures starting a local cloud and deploying the demo stack onto
// the emulators, with the payments team's own stack (its inbox), as hydrant local up does, then
// closing it.
func BenchmarkDeployDemoStack(b *testing.B) {
	root, err := emulators.RepoRoot()
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := plan.LoadStackConfig(root, "demo")
	if err != nil {
		b.Fatal(err)
	}
	e := emulators.Get(b)
	ctx := context.Background()
	for b.Loop() {
		c, err := localcloud.Start(ctx, localcloud.Options{Endpoints: e})
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Deploy(ctx, cfg, stack.Program(localcloud.SourceCode{})); err != nil {
			b.Fatal(err)
		}
		if _, err := c.DeployTeamInboxes(ctx, cfg); err != nil {
			b.Fatal(err)
		}
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		if err := c.Close(cctx); err != nil {
			b.Fatal(err)
		}
		cancel()
	}
}

// BenchmarkDemoScenario measures the demo's wait: from putting 31 records (3 poison) on the
// demo stack's stream and table until every poison record is hydrated and delivered, the
// payments team's inbox included.
func BenchmarkDemoScenario(b *testing.B) {
	root, err := emulators.RepoRoot()
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := plan.LoadStackConfig(root, "demo")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	c, err := localcloud.Start(ctx, localcloud.Options{Endpoints: emulators.Get(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(ctx)
	if err := c.Deploy(ctx, cfg, stack.Program(localcloud.SourceCode{})); err != nil {
		b.Fatal(err)
	}
	inboxes, err := c.DeployTeamInboxes(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		rep, err := demo.Run(ctx, c, demo.Options{Timeout: time.Minute, Inboxes: inboxes})
		if err != nil {
			b.Fatal(err)
		}
		if !rep.OK {
			b.Fatal(rep.Verdict)
		}
	}
}
