package hydrantevent

import (
	"math/big"
	"strings"
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

// TestDigitsEveryByteEverywhere: digits tests eight bytes at a time; any byte but '0' to '9',
// at any place of a word or of the tail, makes a string not a run of digits.
func TestDigitsEveryByteEverywhere(t *testing.T) {
	for c := range 256 {
		for _, n := range []int{1, 7, 8, 9, 16, 23, 56} {
			for k := range n {
				b := []byte(strings.Repeat("5", n))
				b[k] = byte(c)
				_, ok := digits(string(b))
				if want := c >= '0' && c <= '9'; ok != want {
					t.Errorf("digits(%q) ok %v, want %v", b, ok, want)
				}
			}
		}
	}
	if d, ok := digits("000000000000123"); !ok || d != "123" {
		t.Errorf(`digits("000000000000123") = %q, %v`, d, ok)
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

// TestCheckStampedIsCheck: a stamp only spares the hashing when the detail holds exactly what
// was hashed; whatever the stamp (none, the detail's own, another record's, one whose fields
// the detail no longer holds), CheckStamped gives Check's verdict and error.
func TestCheckStampedIsCheck(t *testing.T) {
	const arn, shard = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders", "shardId-000000000003"
	sub0, sub7 := int64(0), int64(7)
	own := func(seq string, sub *int64) *RecordHydrated {
		return &RecordHydrated{EventID: EventID(arn, shard, seq, sub), StreamARN: arn, ShardID: shard, SequenceNumber: seq, SubSequenceNumber: sub,
			Failure: FailureContext{StartSequenceNumber: "10", EndSequenceNumber: "30"}}
	}
	details := map[string]*RecordHydrated{"valid": own("20", nil), "valid, sub-record 7": own("20", &sub7)}
	forged := own("20", nil)
	forged.EventID = "0123456789abcdef0123456789abcdef"
	details["forged eventId"] = forged
	otherID := own("20", nil)
	otherID.EventID = EventID(arn, shard, "21", nil)
	details["another record's eventId"] = otherID
	moved := own("20", nil)
	moved.SequenceNumber = "21"
	details["sequence number changed after the id"] = moved
	subAdded := own("20", nil)
	subAdded.SubSequenceNumber = &sub0
	details["sub-sequence number added after the id"] = subAdded
	subChanged := own("20", &sub7)
	subChanged.SubSequenceNumber = &sub0
	details["sub-sequence number changed after the id"] = subChanged
	shardChanged := own("20", nil)
	shardChanged.ShardID = "shardId-000000000004"
	details["shard changed after the id"] = shardChanged
	arnChanged := own("20", nil)
	arnChanged.StreamARN = arn + "-eu"
	details["stream changed after the id"] = arnChanged
	details["outside the failed range"] = own("31", nil)

	stamps := map[string]Stamp{
		"none":                   {},
		"record 20":              RecordStamp(arn, shard, "20", nil),
		"record 20 sub-record 7": RecordStamp(arn, shard, "20", &sub7),
		"record 20 sub-record 0": RecordStamp(arn, shard, "20", &sub0),
		"record 21":              RecordStamp(arn, shard, "21", nil),
		"record 31":              RecordStamp(arn, shard, "31", nil),
		"another shard's 20":     RecordStamp(arn, "shardId-000000000004", "20", nil),
		"another stream's 20":    RecordStamp(arn+"-eu", shard, "20", nil),
	}
	for dn, d := range details {
		want := Check(d)
		for sn, s := range stamps {
			got := CheckStamped(d, s)
			if (got == nil) != (want == nil) || (got != nil && got.Error() != want.Error()) {
				t.Errorf("%s with stamp %s: CheckStamped = %v, Check = %v", dn, sn, got, want)
			}
		}
	}
	if Check(forged) == nil || Check(moved) == nil || Check(details["valid"]) != nil {
		t.Fatal("the cases no longer cover both verdicts")
	}
	if s := RecordStamp(arn, shard, "20", &sub7); s.ID() != EventID(arn, shard, "20", &sub7) {
		t.Errorf("RecordStamp's ID %s, want EventID's %s", s.ID(), EventID(arn, shard, "20", &sub7))
	}
	if err := CheckStamped(&RecordHydrationFailed{EventID: "0123456789abcdef0123456789abcdef", StreamARN: arn, ShardID: shard,
		Missing: MissingRange{StartSequenceNumber: "20", EndSequenceNumber: "20", Count: 1}}, stamps["record 20"]); err == nil {
		t.Error("a RecordHydrationFailed with a forged eventId passed CheckStamped")
	}
}

func TestCheckStampedDoesNotAllocate(t *testing.T) {
	seq := "49656110238473859283742908321478920718632199047364018226"
	sub := int64(7)
	s := RecordStamp("arn:aws:kinesis:eu-west-1:123456789012:stream/orders", "shardId-000000000003", seq, &sub)
	d := &RecordHydrated{EventID: s.ID(), StreamARN: "arn:aws:kinesis:eu-west-1:123456789012:stream/orders", ShardID: "shardId-000000000003", SequenceNumber: seq, SubSequenceNumber: &sub,
		Failure: FailureContext{StartSequenceNumber: seq, EndSequenceNumber: seq}}
	if n := testing.AllocsPerRun(100, func() {
		if err := CheckStamped(d, s); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("CheckStamped allocates %v times per event, want 0", n)
	}
}
