//go:build integration

package main

import (
	"testing"

	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

// Commands that read streams or talk to the bus are tested against the emulators.
func TestMain(m *testing.M) { emulators.Main(m) }
