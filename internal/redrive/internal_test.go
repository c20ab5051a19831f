package redrive

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/hydrant-dev/hydrant/hydrantevent"
)

func rec(stream, shard, seq string) *Record {
	return &Record{Detail: &hydrantevent.RecordHydrated{EventID: shard + "/" + seq, StreamARN: stream, ShardID: shard, SequenceNumber: seq,
		Kinesis: &hydrantevent.KinesisRecord{PartitionKey: "pk", Data: []byte(seq)}}}
}

// A consumer's partial batch response is read as the event source mapping reads it
// (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html):
// the batch succeeds when the list is empty or the response is not one; an identifier that
// is not in the batch fails the whole batch; otherwise the mapping resumes at the lowest
// failed sequence number, so the records before it are done.
func TestPartialResponse(t *testing.T) {
	batch := []*Record{rec("s", "sh", "10"), rec("s", "sh", "20"), rec("s", "sh", "30")}
	for _, tc := range []struct {
		name     string
		payload  string
		accepted int
		failed   string // EventID of the record the error names; "" when none
	}{
		{"no payload", ``, 3, ""},
		{"null", `null`, 3, ""},
		{"not a response", `"ok"`, 3, ""},
		{"empty list", `{"batchItemFailures":[]}`, 3, ""},
		{"one failure", `{"batchItemFailures":[{"itemIdentifier":"20"}]}`, 1, "sh/20"},
		{"lowest of several, in any order", `{"batchItemFailures":[{"itemIdentifier":"30"},{"itemIdentifier":"20"}]}`, 1, "sh/20"},
		{"first record", `{"batchItemFailures":[{"itemIdentifier":"10"}]}`, 0, "sh/10"},
		{"unknown identifier fails the batch", `{"batchItemFailures":[{"itemIdentifier":"99"}]}`, 0, "sh/10"},
		{"empty identifier fails the batch", `{"batchItemFailures":[{"itemIdentifier":""}]}`, 0, "sh/10"},
		{"null identifier fails the batch", `{"batchItemFailures":[{"itemIdentifier":null}]}`, 0, "sh/10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := partialResponse(batch, []byte(tc.payload))
			if n != tc.accepted {
				t.Errorf("accepted %d, want %d", n, tc.accepted)
			}
			var de *DeliveryError
			switch {
			case tc.failed == "" && err != nil:
				t.Errorf("err = %v, want none", err)
			case tc.failed != "" && (!errors.As(err, &de) || de.EventID != tc.failed):
				t.Errorf("err = %v, want a DeliveryError for %s", err, tc.failed)
			}
		})
	}
}

// Records are sent per shard in sequence order, compared as integers (a 56-digit Kinesis
// sequence number has no fixed width), then by KPL subsequence number.
func TestByShardOrdersBySequenceNumber(t *testing.T) {
	sub := func(r *Record, n int64) *Record { r.Detail.SubSequenceNumber = &n; return r }
	in := []*Record{
		rec("s2", "a", "5"),
		rec("s1", "b", "100"),
		rec("s1", "a", "100"),
		rec("s1", "a", "99"),
		sub(rec("s1", "a", "1000"), 1),
		sub(rec("s1", "a", "1000"), 0),
		rec("s1", "b", "20"),
	}
	var got []string
	for _, g := range byShard(in) {
		var line string
		for _, r := range g {
			line += fmt.Sprintf("%s/%s/%s", r.Detail.StreamARN, r.Detail.ShardID, r.Detail.SequenceNumber)
			if r.Detail.SubSequenceNumber != nil {
				line += fmt.Sprintf(".%d", *r.Detail.SubSequenceNumber)
			}
			line += " "
		}
		got = append(got, line)
	}
	want := []string{"s1/a/99 s1/a/100 s1/a/1000.0 s1/a/1000.1 ", "s1/b/20 s1/b/100 ", "s2/a/5 "}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("byShard =\n%q\nwant\n%q", got, want)
	}
}

func TestDedupeKeepsTheFirstAndItsDuplicates(t *testing.T) {
	a, b, a2 := rec("s", "sh", "1"), rec("s", "sh", "2"), rec("s", "sh", "1")
	a.msgIndex, b.msgIndex, a2.msgIndex = 0, 1, 2
	out, conflicts := dedupe([]*Record{a, b, a2})
	if len(out) != 2 || out[0] != a || out[1] != b || len(conflicts) != 0 {
		t.Fatalf("dedupe = %v, conflicts %v", out, conflicts)
	}
	if fmt.Sprint(a.allIndexes()) != "[0 2]" {
		t.Errorf("first record's messages = %v, want [0 2]", a.allIndexes())
	}
}

// Copies of one record that differ in content are none of them kept: one is made up.
func TestDedupeSetsConflictingCopiesApart(t *testing.T) {
	a, b, forged := rec("s", "sh", "1"), rec("s", "sh", "2"), rec("s", "sh", "1")
	forged.Detail.Kinesis.Data = []byte("made up")
	offloaded := rec("s", "sh", "2")
	sum := sha256.Sum256(offloaded.Detail.Kinesis.Data)
	offloaded.Detail.SetOffload(hydrantevent.Offload{Bucket: "c", Key: "k", Size: 1, SHA256: hex.EncodeToString(sum[:])})
	out, conflicts := dedupe([]*Record{forged, b, a, offloaded})
	if len(out) != 1 || out[0] != b || len(conflicts) != 2 || conflicts[0] != forged || conflicts[1] != a {
		t.Fatalf("dedupe = %v, conflicts %v; want b kept (its offloaded copy is the same data) and both copies of 1 apart", out, conflicts)
	}
}

// A release of a message whose visibility already ran out (a long run, a loaded machine) is
// not an error: the message is visible again, as the release wants. goaws answers with the
// query protocol's code, the SDK's JSON protocol with the typed error.
func TestReleaseOfAMessageNoLongerInFlight(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&sqstypes.MessageNotInflight{}, true},
		{&smithy.GenericAPIError{Code: "AWS.SimpleQueueService.MessageNotInFlight"}, true},
		{fmt.Errorf("release: %w", &smithy.GenericAPIError{Code: "AWS.SimpleQueueService.MessageNotInFlight"}), true},
		{&smithy.GenericAPIError{Code: "ReceiptHandleIsInvalid"}, false},
		{errors.New("connection refused"), false},
	} {
		if got := notInFlight(tc.err); got != tc.want {
			t.Errorf("notInFlight(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
