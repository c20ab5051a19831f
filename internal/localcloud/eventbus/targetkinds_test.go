package eventbus

import (
	"encoding/json"
	"testing"

	"github.com/hydrant-dev/hydrant/internal/targetkind"
)

// Every kind of the targetkind registry has a deliverer here, and PutTargets accepts an ARN of
// it; the endpoint delivers to no kind the registry lacks. (infra/hydrantinfra's
// TestEveryTargetKindTheInfraCreatesIsServedLocally checks the infra side against TargetKinds.)
func TestEveryRegisteredKindIsDelivered(t *testing.T) {
	var s Server
	for _, k := range targetkind.All() {
		if deliverers[k.Kind] == nil {
			t.Errorf("kind %s: no deliverer", k.Kind)
		}
		arn := "arn:aws:" + k.Service + ":us-east-1:123456789012:" + k.Prefix + "name"
		tg, aerr := s.parseTarget(0, json.RawMessage(`{"Id":"t","Arn":"`+arn+`"}`))
		if aerr != nil {
			t.Errorf("kind %s: PutTargets refuses %s: %s", k.Kind, arn, aerr.Message)
			continue
		}
		if tg.kind != k.Kind || tg.resource != "name" {
			t.Errorf("kind %s: %s parsed as %s %q", k.Kind, arn, tg.kind, tg.resource)
		}
	}
	if got, want := len(TargetKinds()), len(deliverers); got != want {
		t.Errorf("%d deliverers, %d of them for registered kinds", want, got)
	}
}
