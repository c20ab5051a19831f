package hydrantevent

import (
	"regexp"
	"testing"
)

const (
	testStream = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"
	testShard  = "shardId-000000000000"
	testSeq    = "49590338271490256608559692538361571095921575989136588898"
)

func ptr[T any](v T) *T { return &v }

// The expected identities were computed outside Go, so that other languages can reproduce them:
//
//	printf 'hydrant.record.v1\n<stream>\n<shard>\n<seq>\n' | sha256sum | cut -c1-32
func TestEventIDKnownValues(t *testing.T) {
	tests := []struct {
		name string
		sub  *int64
		want string
	}{
		{"plain record", nil, "25f2f269a3c1bac4fa62263ba29a3be9"},
		{"KPL sub-record 0", ptr[int64](0), "0663a6e12dcf0495c1fb59f355b7af06"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EventID(testStream, testShard, testSeq, tt.sub); got != tt.want {
				t.Errorf("EventID = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestIdentitiesDiffer(t *testing.T) {
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	ids := map[string]string{
		"plain":          EventID(testStream, testShard, testSeq, nil),
		"sub 0":          EventID(testStream, testShard, testSeq, ptr[int64](0)),
		"sub 1":          EventID(testStream, testShard, testSeq, ptr[int64](1)),
		"other shard":    EventID(testStream, "shardId-000000000001", testSeq, nil),
		"other stream":   EventID("arn:aws:kinesis:eu-west-1:123456789012:stream/payments", testShard, testSeq, nil),
		"other sequence": EventID(testStream, testShard, testSeq[:len(testSeq)-1]+"9", nil),
		"missing single": MissingEventID(testStream, testShard, testSeq, testSeq),
		"missing range":  MissingEventID(testStream, testShard, testSeq, testSeq[:len(testSeq)-1]+"9"),
	}
	seen := map[string]string{}
	for name, id := range ids {
		if !hex32.MatchString(id) {
			t.Errorf("%s: identity %q is not 32 lowercase hex digits", name, id)
		}
		if other, dup := seen[id]; dup {
			t.Errorf("%s and %s have the same identity %s", name, other, id)
		}
		seen[id] = name
	}
	if a, b := EventID(testStream, testShard, testSeq, ptr[int64](3)), EventID(testStream, testShard, testSeq, ptr[int64](3)); a != b {
		t.Error("EventID is not deterministic")
	}
}
