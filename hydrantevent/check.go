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
	switch d := d.(type) {
	case *RecordHydrated:
		var errs []error
		if want := EventID(d.StreamARN, d.ShardID, d.SequenceNumber, d.SubSequenceNumber); d.EventID != want {
			errs = append(errs, fmt.Errorf("eventId %s, want %s (EventID of streamArn, shardId, sequenceNumber, subSequenceNumber)", d.EventID, want))
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
		if want := MissingEventID(d.StreamARN, d.ShardID, d.Missing.StartSequenceNumber, d.Missing.EndSequenceNumber); d.EventID != want {
			errs = append(errs, fmt.Errorf("eventId %s, want %s (MissingEventID of streamArn, shardId, missing.startSequenceNumber, missing.endSequenceNumber)", d.EventID, want))
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

// ordered checks a <= b as decimal integers (sequence numbers exceed 64 bits).
func ordered(aName, a, bName, b string) error {
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
