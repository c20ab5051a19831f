package localcloud

import (
	"slices"
	"testing"

	"github.com/hydrant-dev/hydrant/infra/plan"
)

// The two mock monitors, infra/plan's recorder (outputs made up offline, for `hydrant plan`
// and the infra tests) and this one (resources materialised on the emulators), know the same
// resource types, so a program that plans offline also runs locally and the other way round.
func TestMonitorsKnowTheSameTypes(t *testing.T) {
	var local []string
	for typ := range (*monitor)(nil).materialisers() {
		local = append(local, typ)
	}
	for typ := range acceptedTypes {
		local = append(local, typ)
	}
	offline := plan.KnownTypes()
	for _, typ := range local {
		if !slices.Contains(offline, typ) {
			t.Errorf("%s: the local cloud knows it, infra/plan does not (add it to plan's shapes or arnOnly)", typ)
		}
	}
	for _, typ := range offline {
		if !slices.Contains(local, typ) {
			t.Errorf("%s: infra/plan knows it, the local cloud does not (materialise or accept it in monitor.go)", typ)
		}
	}
}
