package hydrantevent

import (
	"errors"
	"fmt"
	"math/big"
)

// Check verifies what the schema cannot express about a detail: its eventId is the one
// EventID (or MissingEventID) computes from its fields, and its sequence numbers are in
// order (the record within its failed batch, a missing range not reversed). Producers run it
// in tests on every event they make; consumers need not, since Parse already checks the schema.
func Check(d Detail) error {
	return check(d, nil)
}

// CheckStamped is Check for a detail whose eventId came from stamp: when the detail still
// holds exactly the fields the stamp was computed from and the stamp's eventId, that eventId
// is the one EventID gives and is not hashed again (the hydrate sink checks every event it
// publishes, and the builder has just hashed it). Any other stamp (the zero Stamp, another
// record's, or one whose fields the detail no longer holds) leaves the detail to Check's own
// hashing, so CheckStamped's verdict is always Check's (TestCheckStampedIsCheck).
func CheckStamped(d Detail, stamp Stamp) error {
	return check(d, &stamp)
}

func check(d Detail, stamp *Stamp) error {
	switch d := d.(type) {
	case *RecordHydrated:
		var errs []error
		if stamp == nil || !stamp.vouchesFor(d) {
			if want := eventID(d.StreamARN, d.ShardID, d.SequenceNumber, d.SubSequenceNumber); d.EventID != string(want[:]) {
				errs = append(errs, fmt.Errorf("eventId %s, want %s (EventID of streamArn, shardId, sequenceNumber, subSequenceNumber)", d.EventID, string(want[:])))
			}
		}
		if err := ordered("failure.startSequenceNumber", d.Failure.StartSequenceNumber, "sequenceNumber", d.SequenceNumber); err != nil {
			errs = append(errs, err)
		}
		if err := ordered("sequenceNumber", d.SequenceNumber, "failure.endSequenceNumber", d.Failure.EndSequenceNumber); err != nil {
			errs = append(errs, err)
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("check RecordHydrated %s: %w", d.SequenceNumber, err)
		}
	case *RecordHydrationFailed:
		var errs []error
		if want := missingEventID(d.StreamARN, d.ShardID, d.Missing.StartSequenceNumber, d.Missing.EndSequenceNumber); d.EventID != string(want[:]) {
			errs = append(errs, fmt.Errorf("eventId %s, want %s (MissingEventID of streamArn, shardId, missing.startSequenceNumber, missing.endSequenceNumber)", d.EventID, string(want[:])))
		}
		if err := ordered("missing.startSequenceNumber", d.Missing.StartSequenceNumber, "missing.endSequenceNumber", d.Missing.EndSequenceNumber); err != nil {
			errs = append(errs, err)
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("check RecordHydrationFailed %s: %w", d.Missing.StartSequenceNumber, err)
		}
	case nil:
		return errors.New("check: no detail")
	default:
		return fmt.Errorf("check: %T is not a Hydrant detail", d)
	}
	return nil
}

// ordered checks a <= b as decimal integers (sequence numbers exceed 64 bits). Plain digit
// strings, what every stream writes, are compared as they are, without allocating: Check runs
// on every event published.
func ordered(aName, a, bName, b string) error {
	if x, ok := digits(a); ok {
		if y, ok := digits(b); ok {
			if len(x) > len(y) || (len(x) == len(y) && x > y) {
				return fmt.Errorf("%s %s is after %s %s", aName, a, bName, b)
			}
			return nil
		}
	}
	x, ok := new(big.Int).SetString(a, 10)
	if !ok {
		return fmt.Errorf("%s %q is not a decimal integer", aName, a)
	}
	y, ok := new(big.Int).SetString(b, 10)
	if !ok {
		return fmt.Errorf("%s %q is not a decimal integer", bName, b)
	}
	if x.Cmp(y) > 0 {
		return fmt.Errorf("%s %s is after %s %s", aName, a, bName, b)
	}
	return nil
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// digits returns s without its leading zeros when s is a non-empty run of ASCII digits.
func digits(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	i := 0
	for ; i+8 <= len(s); i += 8 { // eight at a time: a sequence number has 20 to 60 digits
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// A byte below '0' borrows and one above '9' carries into its high bit; one of 0x80
		// or above has it set already. Digits set none (nothing borrows or carries).
		if ((w-'0'*ones)|(w+(0x80-'9'-1)*ones)|w)&highs != 0 {
			return "", false
		}
	}
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s, true
}
