package hydrantinfra_test

import (
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/hydrant-dev/hydrant/internal/localcloud/eventbus"
	"github.com/hydrant-dev/hydrant/internal/targetkind"
)

// Every target the infra can create (the router's own and a subscription's of every kind) is
// of a kind the local EventBridge endpoint delivers to, so `hydrant local up` runs all of them.
func TestEveryTargetKindTheInfraCreatesIsServedLocally(t *testing.T) {
	served := eventbus.TargetKinds()
	for _, k := range hydrantinfra.TargetKinds {
		if !slices.Contains(served, k) {
			t.Errorf("subscription target kind %s is not served by the local EventBridge endpoint", k)
		}
	}
	p := run(t, func(ctx *pulumi.Context) error {
		if _, err := hydrantinfra.NewRouter(ctx, "hydrant", routerArgs()); err != nil {
			return err
		}
		_, err := hydrantinfra.NewSubscription(ctx, "billing", allKindsArgs())
		return err
	})
	created := map[targetkind.Kind]bool{}
	for _, tg := range p.OfType(typeTarget) {
		arn, _ := tg.Inputs["arn"].(string)
		kind, _, err := targetkind.Parse(arn)
		if err != nil {
			t.Errorf("target %s: %v", tg.Name, err)
			continue
		}
		created[kind] = true
		if !slices.Contains(served, kind) {
			t.Errorf("target %s is a %s, which the local EventBridge endpoint does not deliver to", tg.Name, kind)
		}
	}
	for _, k := range append(slices.Clone(hydrantinfra.TargetKinds), targetkind.Firehose) {
		if !created[k] {
			t.Errorf("no %s target created; the test no longer covers that kind", k)
		}
	}
}
