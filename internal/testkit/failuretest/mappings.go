package failuretest

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/hydrant-dev/hydrant/internal/localcloud/lambdaapi"
)

// ServeMappings starts the local cloud's Lambda API (package lambdaapi, whose answers follow
// AWS's recorded ones) serving only these event source mappings, and returns its URL: for
// the hydrate function's check of S3 failure objects (lambda:GetEventSourceMapping).
func ServeMappings(t testing.TB, ms ...lambdaapi.Mapping) string {
	t.Helper()
	srv := httptest.NewServer(lambdaapi.New(mappingsOnly(ms), nil))
	t.Cleanup(srv.Close)
	return srv.URL
}

// mappingsOnly is a lambdaapi.Functions with mappings and no functions.
type mappingsOnly []lambdaapi.Mapping

func (mappingsOnly) Invoke(context.Context, string, []byte) ([]byte, error) {
	return nil, errors.New("no functions here")
}
func (mappingsOnly) Exists(string) (string, bool)                             { return "", false }
func (m mappingsOnly) EventSourceMappings(string, string) []lambdaapi.Mapping { return m }
