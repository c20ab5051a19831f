package stack_test

import (
	"testing"
	"time"

	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/hydrant-dev/hydrant/internal/intake"
	"github.com/hydrant-dev/hydrant/internal/publish"
)

// TestHydrateEnvironmentMatchesTheHandler: the variables the Router sets are the ones the
// hydrate handler (package intake) reads, and the defaults agree.
func TestHydrateEnvironmentMatchesTheHandler(t *testing.T) {
	for _, pair := range [][2]string{
		{hydrantinfra.EnvEventBus, intake.EnvEventBus},
		{hydrantinfra.EnvEventSource, intake.EnvSource},
		{hydrantinfra.EnvClaimCheckBucket, intake.EnvClaimCheckBucket},
		{hydrantinfra.EnvMaxEntrySize, intake.EnvMaxEntrySize},
		{hydrantinfra.EnvPublishConcurrency, intake.EnvConcurrency},
		{hydrantinfra.EnvLogLevel, intake.EnvLogLevel},
		{hydrantinfra.EnvMessageConcurrency, intake.EnvMessageConcurrency},
		{hydrantinfra.EnvDeadlineMargin, intake.EnvDeadlineMargin},
	} {
		if pair[0] != pair[1] {
			t.Errorf("router sets %s, handler reads %s", pair[0], pair[1])
		}
	}
	if hydrantinfra.DefaultMessageConcurrency != intake.DefaultMessageConcurrency ||
		time.Duration(hydrantinfra.DefaultDeadlineMarginSeconds)*time.Second != intake.DefaultDeadlineMargin {
		t.Errorf("router defaults %d messages at once and a %d s margin, the handler's %d and %s", hydrantinfra.DefaultMessageConcurrency,
			hydrantinfra.DefaultDeadlineMarginSeconds, intake.DefaultMessageConcurrency, intake.DefaultDeadlineMargin)
	}
	if hydrantinfra.DefaultMaxEntrySize != publish.DefaultMaxEntrySize {
		t.Errorf("router default entry size %d, publisher's %d", hydrantinfra.DefaultMaxEntrySize, publish.DefaultMaxEntrySize)
	}
}

// TestRouterEnvironmentIsAValidHandlerConfiguration feeds the environment the router sets
// to the handler's own configuration parser.
func TestRouterEnvironmentIsAValidHandlerConfiguration(t *testing.T) {
	p := runStack(t, "example")
	fn := find(t, p, "aws:lambda/function:Function", "hydrant-hydrate")
	vars := fn.Inputs["environment"].(map[string]any)["variables"].(map[string]any)
	cfg, err := intake.ConfigFromEnv(func(k string) string { s, _ := vars[k].(string); return s })
	if err != nil {
		t.Fatalf("handler rejects the router's environment %v: %v", vars, err)
	}
	if cfg.EventBus != "hydrant" || cfg.Source != "hydrant" || cfg.MaxEntrySize != 262144 || cfg.Concurrency != 4 || cfg.ClaimCheckBucket != "hydrant-claim-checks" ||
		cfg.MessageConcurrency != 5 || cfg.DeadlineMargin != 15*time.Second {
		t.Errorf("handler configuration %+v", cfg)
	}
}
