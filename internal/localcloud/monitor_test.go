package localcloud_test

import (
	"testing"

	"github.com/hydrant-dev/hydrant/internal/localcloud"
)

func TestSourceCodeRefusesPathsOutsideTheModule(t *testing.T) {
	for _, pkg := range []string{"../elsewhere", "/abs/path", "."} {
		if _, err := (localcloud.SourceCode{}).Archive(pkg); err == nil {
			t.Errorf("Archive(%q) accepted", pkg)
		}
	}
}
