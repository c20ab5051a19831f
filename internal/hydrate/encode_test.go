package hydrate

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/hydrant-dev/hydrant/hydrantevent"
	"github.com/hydrant-dev/hydrant/schemas"
)

// encodeCases are details with every optional field set and unset, and the strings and raw
// values json.Marshal treats specially.
func encodeCases(t testing.TB) map[string]hydrantevent.Detail {
	t.Helper()
	cases := map[string]hydrantevent.Detail{}
	examples, err := schemas.Examples()
	if err != nil {
		t.Fatal(err)
	}
	for name, raw := range examples {
		ev, err := hydrantevent.Parse(raw)
		if err != nil {
			t.Fatalf("example %s: %v", name, err)
		}
		cases["example "+name] = ev.Detail
	}
	sub, fe := int64(7), "Unhandled"
	at := time.Date(2026, 11, 28, 13, 58, 42, 560000000, time.UTC)
	odd := "a<b>&c\"d\\e\n\r\t\b\f\x01\x1f é \u2028\u2029 \xff end"
	fc := hydrantevent.FailureContext{Condition: odd, FunctionARN: "arn", RequestID: "r", ApproximateInvokeCount: -3, Timestamp: at.In(time.FixedZone("x", 5*3600+30*60)),
		Destination: "sqs", Response: &hydrantevent.FunctionResponse{StatusCode: 200, ExecutedVersion: "$LATEST", FunctionError: &fe},
		StartSequenceNumber: "1", EndSequenceNumber: "2", BatchSize: 10000, ApproximateArrivalOfFirstRecord: at, ApproximateArrivalOfLastRecord: at.Add(time.Nanosecond)}
	cases["odd strings, every optional field"] = &hydrantevent.RecordHydrated{SchemaVersion: "1.0", EventID: odd, StreamARN: "s", StreamType: "kinesis", ShardID: "sh", SequenceNumber: "9",
		SubSequenceNumber: &sub, Failure: fc,
		Kinesis:  &hydrantevent.KinesisRecord{PartitionKey: odd, ExplicitHashKey: "123", ApproximateArrivalTimestamp: at, Data: []byte{0, 1, 2, 0xff}, DataJSON: json.RawMessage(" { \"a\" : [ 1 , \"x <y> & \\\" \u2028 z\" ] ,\n\t\"b\":{} } ")},
		DynamoDB: &hydrantevent.DynamoDBRecord{EventID: "e", EventName: "MODIFY", Keys: json.RawMessage(`{"id":"1"}`), NewImage: json.RawMessage(`{"n":1e3}`), OldImage: json.RawMessage(`[ ]`), StreamViewType: "NEW_AND_OLD_IMAGES", SizeBytes: 1 << 40},
		Offload:  &hydrantevent.Offload{Bucket: "b", Key: "k/<1>", Size: 5, SHA256: "ab"}}
	cases["no optional field"] = &hydrantevent.RecordHydrated{Failure: hydrantevent.FailureContext{Response: &hydrantevent.FunctionResponse{}},
		Kinesis: &hydrantevent.KinesisRecord{Data: []byte{}}, DynamoDB: &hydrantevent.DynamoDBRecord{}}
	cases["failed, carrying its record"] = &hydrantevent.RecordHydrationFailed{SchemaVersion: "1.0", EventID: "x", Missing: hydrantevent.MissingRange{StartSequenceNumber: "1", EndSequenceNumber: "1", Count: 1},
		Reason: "corrupt-aggregate", Message: odd, Failure: fc, Kinesis: &hydrantevent.KinesisRecord{Data: []byte("raw")}, Offload: &hydrantevent.Offload{}}
	return cases
}

func TestAppendDetailIsJSONMarshal(t *testing.T) {
	for name, d := range encodeCases(t) {
		want, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("%s: json.Marshal: %v", name, err)
		}
		got, err := appendDetail([]byte("prefix"), d)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got[len("prefix"):], want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got[len("prefix"):], want)
		}
	}
}

func TestAppendDetailRefusesWhatJSONMarshalRefuses(t *testing.T) {
	for name, d := range map[string]hydrantevent.Detail{
		"year 10000":    &hydrantevent.RecordHydrated{Failure: hydrantevent.FailureContext{Timestamp: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		"year -1":       &hydrantevent.RecordHydrated{Kinesis: &hydrantevent.KinesisRecord{ApproximateArrivalTimestamp: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}},
		"not hydrant's": nil,
	} {
		if _, err := appendDetail(nil, d); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzAppendRaw: for any valid JSON, appendRaw writes what json.Marshal writes for it as a
// json.RawMessage.
func FuzzAppendRaw(f *testing.F) {
	for _, s := range []string{`{"a":1}`, " [ \"<\\\">\" , {\"\u2028\":\"&\"} ] ", `"x"`, "\t1e5 ", `{"a":"\\\\"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		want, err := json.Marshal(json.RawMessage(raw))
		if err != nil {
			t.Fatal(err)
		}
		if got := appendRaw(nil, raw); !bytes.Equal(got, want) {
			t.Fatalf("appendRaw(%q) = %q, json.Marshal %q", raw, got, want)
		}
	})
}

// FuzzAppendBase64: appendBase64 writes what base64.StdEncoding.AppendEncode writes, after
// whatever dst already holds; the seeds cover every length up to a few words.
func FuzzAppendBase64(f *testing.F) {
	for n := range 40 {
		f.Add([]byte("prefix")[:n%7], bytes.Repeat([]byte{0xFB, 0xEF, 0xBE, 0x00, 0x10, 0x83, 0xFF}, 6)[:n])
	}
	var all []byte // every pair of byte values side by side, at every offset mod 3
	for a := range 256 {
		for b := 0; b < 256; b += 17 {
			all = append(all, byte(a), byte(b), byte(a*b))
		}
	}
	f.Add([]byte(nil), all)
	f.Add([]byte("x"), all[1:])
	f.Add([]byte("xy"), all[2:])
	f.Fuzz(func(t *testing.T, dst, src []byte) {
		want := base64.StdEncoding.AppendEncode(bytes.Clone(dst), src)
		if got := appendBase64(bytes.Clone(dst), src); !bytes.Equal(got, want) {
			t.Fatalf("appendBase64(%q, % x) = %q, want %q", dst, src, got, want)
		}
	})
}

// FuzzAppendString: appendString writes what json.Marshal writes for any string.
func FuzzAppendString(f *testing.F) {
	f.Add("a<b>&c\"d\\e\n\x01 \u2028 \xff\xfe é")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %q, json.Marshal %q", s, got, want)
		}
	})
}

// A sink's encoder remembers the last failure context's encoding: each event must still encode
// as json.Marshal does when the failure context stays, changes, or is changed in place
// (behind its pointers too).
func TestDetailEncoderRemembersFailureCorrectly(t *testing.T) {
	var e detailEncoder
	check := func(step string, d hydrantevent.Detail) {
		t.Helper()
		want, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.appendDetail(nil, d)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s:\n got %s, %v\nwant %s", step, got, err, want)
		}
	}
	cases := encodeCases(t)
	d := cases["odd strings, every optional field"].(*hydrantevent.RecordHydrated)
	check("first", d)
	check("same", d)
	d.Failure.BatchSize++
	check("batch size changed", d)
	d.Failure.Response.ExecutedVersion = "7"
	check("response changed in place", d)
	fe := "Handled"
	d.Failure.Response.FunctionError = &fe
	check("function error changed", d)
	fe = "Other"
	check("function error changed in place", d)
	d.Failure.Response.FunctionError = nil
	check("function error null", d)
	d.Failure.Response = nil
	check("no response", d)
	d.Failure.Timestamp = d.Failure.Timestamp.Add(time.Second)
	check("timestamp changed", d)
	check("another detail", cases["failed, carrying its record"])
	check("back", d)
}

// TestRawSpecial8FlagsEveryRawSpecialByte: plainRaw may skip a word only when rawSpecial8
// flags none of its bytes, so every byte rawSpecial marks must be flagged, at any place in a
// word and whatever its neighbours.
func TestRawSpecial8FlagsEveryRawSpecialByte(t *testing.T) {
	for c := range 256 {
		if !rawSpecial[c] {
			continue
		}
		for _, fill := range []byte{'a', 0x00, 0xFF, '"', '<', 0x21} {
			for k := range 8 {
				w := uint64(fill) * lowBits
				w = w&^(0xFF<<(8*k)) | uint64(c)<<(8*k)
				if rawSpecial8(w)&(0x80<<(8*k)) == 0 {
					t.Errorf("byte %#x at %d among %#x: not flagged", c, k, fill)
				}
			}
		}
	}
	for _, raw := range []string{`{"a":"b"}`, `{"a":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb "}`, `{"a":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb<"}`,
		`{"a":"ééééééééééééééééé"}`, "{\"a\":\"bbbbbbbbbbbbbbbbbbbbb\u2028\"}", `[1,2,3,4,5,6,7,8,9,10]`, `[1,2,3,4,5,6,7,8,9,10 ]`} {
		want := true
		for i := 0; i < len(raw); i++ {
			want = want && !rawSpecial[raw[i]]
		}
		if got := plainRaw([]byte(raw)); got != want {
			t.Errorf("plainRaw(%q) = %v, want %v", raw, got, want)
		}
	}
}
