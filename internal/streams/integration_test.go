//go:build integration

package streams_test

import (
	"testing"

	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

func TestMain(m *testing.M) { emulators.Main(m) }
