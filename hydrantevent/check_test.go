package hydrantevent

import (
	"math/big"
	"testing"
)

// ordered compares plain digit strings without math/big; it must give big.Int's verdict, and
// leave everything else (signs, spaces, empty strings) to big.Int as before.
func TestOrderedAgreesWithBigInt(t *testing.T) {
	values := []string{"0", "00", "1", "01", "9", "10", "0010", "99", "100",
		"49656110238473859283742908321478920718632199047364018225",
		"49656110238473859283742908321478920718632199047364018226",
		"000049656110238473859283742908321478920718632199047364018226",
		"10000000000000000000000", "9999999999999999999999",
		"+5", "-1", "", " 1", "1 ", "x", "1_0", "0x10"}
	for _, a := range values {
		for _, b := range values {
			x, okA := new(big.Int).SetString(a, 10)
			y, okB := new(big.Int).SetString(b, 10)
			err := ordered("a", a, "b", b)
			if want := okA && okB && x.Cmp(y) <= 0; (err == nil) != want {
				t.Errorf("ordered(%q, %q) = %v, want ok %v", a, b, err, want)
			}
		}
	}
}

func TestCheckDoesNotAllocate(t *testing.T) {
	seq := "49656110238473859283742908321478920718632199047364018226"
	sub := int64(7)
	d := &RecordHydrated{EventID: EventID("arn:aws:kinesis:eu-west-1:123456789012:stream/orders", "shardId-000000000003", seq, &sub),
		StreamARN: "arn:aws:kinesis:eu-west-1:123456789012:stream/orders", ShardID: "shardId-000000000003", SequenceNumber: seq, SubSequenceNumber: &sub,
		Failure: FailureContext{StartSequenceNumber: seq, EndSequenceNumber: seq}}
	if n := testing.AllocsPerRun(100, func() {
		if err := Check(d); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Check allocates %v times per event, want 0", n)
	}
}
