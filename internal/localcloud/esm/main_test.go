package esm

import (
	"testing"

	"github.com/hydrant-dev/hydrant/internal/emulators"
)

func TestMain(m *testing.M) { emulators.Main(m) }
