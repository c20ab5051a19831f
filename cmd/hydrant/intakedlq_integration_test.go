//go:build integration

package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hydrant-dev/hydrant/internal/intake"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
	"github.com/hydrant-dev/hydrant/internal/testkit/failuretest"
)

// The operator's path on a stack running on the local cloud: the intake DLQ holds a failure
// record that failed (its cause now fixed) and one the hydrate function refused. list shows
// both, the refusal with its reason, and consumes neither; move refuses to move the refused one
// back (exit 3, nothing moved); take-refused keeps it in a file and takes it out; move then
// moves the other back with SQS's message move task, showing progress, and the hydrate
// function hydrates its records onto the bus (the catch-all queue receives them).
func TestIntakeDLQListTakeRefusedMoveThenHydrated(t *testing.T) {
	ep := emulators.Get(t)
	b := failuretest.PutKinesis(t, ep, [][]byte{[]byte(`{"order":1}`), []byte(`{"order":2,"poison":true}`), []byte(`{"order":3}`)})
	stdout, stderr, cancel, done := startLocalUp(t, "\n}\n", "--json")
	defer stopLocalUp(t, stderr, cancel, done)
	var up struct {
		Queues []struct{ Name, URL string }
		Env    []struct{ Name, Value string }
	}
	if err := json.Unmarshal([]byte(stdout.String()), &up); err != nil {
		t.Fatalf("local up --json: %v", err)
	}
	urls := map[string]string{}
	for _, q := range up.Queues {
		urls[q.Name] = q.URL
	}
	for _, v := range up.Env {
		if v.Name == "AWS_ENDPOINT_URL_SQS" {
			// The command runs against the local cloud's SQS endpoint, which serves move tasks.
			t.Setenv("AWS_ENDPOINT_URL_SQS", v.Value)
		}
	}
	dlq, intakeQ, catchAll := urls["hydrant-intake-dlq"], urls["hydrant-intake"], urls["hydrant-catch-all"]
	if dlq == "" || intakeQ == "" || catchAll == "" {
		t.Fatalf("queues %v: want hydrant-intake-dlq, hydrant-intake and hydrant-catch-all", urls)
	}
	ctx := context.Background()
	c := sqs.NewFromConfig(ep.Config(), func(o *sqs.Options) { o.BaseEndpoint = aws.String(os.Getenv("AWS_ENDPOINT_URL_SQS")) })
	send := func(body string, attrs map[string]sqstypes.MessageAttributeValue) {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(dlq), MessageBody: aws.String(body), MessageAttributes: attrs}); err != nil {
			t.Fatal(err)
		}
	}
	str := func(s string) sqstypes.MessageAttributeValue {
		return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s)}
	}
	send(b.FailureJSON(0, 2), nil)
	send(b.FailureJSON(1, 1), map[string]sqstypes.MessageAttributeValue{
		intake.AttrRefusal: str("sender-not-allowed"), intake.AttrRefusalDetail: str("sender AROAFORGED0000000000:x is not a role configured for stream " + b.StreamARN),
		intake.AttrSenderID: str("AROAFORGED0000000000:x"),
	})

	// list, twice: nothing is consumed.
	for range 2 {
		code, out, errOut := runCLI(t, "", "intake-dlq", "list", "--dlq", dlq, "--json")
		if code != 0 {
			t.Fatalf("list: exit %d: %s", code, errOut)
		}
		var got struct {
			Messages []struct {
				Refusal, RefusalSenderID string
				Names                    []string
			}
			Summary struct{ Total, Refused int }
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("list --json: %v\n%s", err, out)
		}
		refusals := 0
		for _, m := range got.Messages {
			if len(m.Names) != 1 || m.Names[0] != b.StreamARN {
				t.Errorf("message names %v, want the stream %s", m.Names, b.StreamARN)
			}
			if m.Refusal == "sender-not-allowed" && m.RefusalSenderID == "AROAFORGED0000000000:x" {
				refusals++
			}
		}
		if got.Summary.Total != 2 || got.Summary.Refused != 1 || refusals != 1 {
			t.Fatalf("list: %s\nwant 2 messages, 1 refused (sender-not-allowed, with its sender)", out)
		}
	}
	code, out, _ := runCLI(t, "", "intake-dlq", "list", "--dlq", dlq)
	if code != 0 || !strings.Contains(out, "refused sender-not-allowed") || !strings.Contains(out, "sender AROAFORGED0000000000:x") ||
		!strings.Contains(out, "2 messages: 1 failed (move them back once the cause is fixed), 1 refused (sender-not-allowed 1;") {
		t.Errorf("list (text): exit %d\n%s", code, out)
	}

	// move: the refused record would go back with the other: nothing moves.
	code, _, errOut := runCLI(t, "", "intake-dlq", "move", "--dlq", dlq, "--to", intakeQ, "--poll", "100ms")
	if code != intakeDLQRefused || !strings.Contains(errOut, "1 refused records would be moved back") || !strings.Contains(errOut, "take-refused") {
		t.Fatalf("move with a refused record: exit %d, stderr %s; want 3 naming take-refused", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "intake-dlq", "move", "--dlq", dlq, "--to", intakeQ, "--include-refused", "--dry-run"); code != 0 ||
		!strings.Contains(errOut, "dry run: would move 2 messages (1 refused)") {
		t.Errorf("move --include-refused --dry-run: exit %d, stderr %s", code, errOut)
	}

	// take-refused: the evidence is kept in the file, then leaves the DLQ.
	evidence := filepath.Join(t.TempDir(), "refused.jsonl")
	if code, out, errOut := runCLI(t, "", "intake-dlq", "take-refused", "--dlq", dlq, "--out", evidence); code != 0 || !strings.Contains(out, "took 1 refused records") {
		t.Fatalf("take-refused: exit %d, stdout %s, stderr %s", code, out, errOut)
	}
	kept, err := os.ReadFile(evidence)
	if err != nil || strings.Count(string(kept), "\n") != 1 || !strings.Contains(string(kept), `"refusalSenderId":"AROAFORGED0000000000:x"`) ||
		!strings.Contains(string(kept), `"body":`) {
		t.Fatalf("evidence file: %q, %v; want one JSON line with the body and the refusal", kept, err)
	}

	// move: the failed record goes back to the intake queue and is hydrated.
	code, out, errOut = runCLI(t, "", "intake-dlq", "move", "--dlq", dlq, "--to", intakeQ, "--poll", "100ms")
	if code != 0 || !strings.Contains(out, "moved 1 messages") || !strings.Contains(errOut, "COMPLETED: moved 1 of 1") {
		t.Fatalf("move: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	hydrated := map[string]bool{}
	deadline := time.Now().Add(60 * time.Second)
	for len(hydrated) < 3 && time.Now().Before(deadline) {
		got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(catchAll), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range got.Messages {
			var ev struct {
				DetailType string   `json:"detail-type"`
				Resources  []string `json:"resources"`
				Detail     struct {
					SequenceNumber string `json:"sequenceNumber"`
				} `json:"detail"`
			}
			if json.Unmarshal([]byte(aws.ToString(m.Body)), &ev) == nil && ev.DetailType == "RecordHydrated" && strings.Contains(strings.Join(ev.Resources, " "), b.StreamARN) {
				hydrated[ev.Detail.SequenceNumber] = true
			}
		}
	}
	for _, seq := range b.Seqs {
		if !hydrated[seq] {
			t.Errorf("record %s was not hydrated after the move (hydrated: %v)", seq, hydrated)
		}
	}
	code, out, _ = runCLI(t, "", "intake-dlq", "status", "--dlq", dlq)
	if code != 0 || !strings.Contains(out, "COMPLETED  moved 1 of 1  to ") {
		t.Errorf("status: exit %d\n%s", code, out)
	}

	// Errors name the queue and exit 2: an unknown queue, a queue that is no DLQ, a
	// destination that is not the DLQ's source.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"move", "--dlq", dlq + "-missing", "--to", intakeQ}, "queue " + dlq + "-missing does not exist"},
		{[]string{"list", "--dlq", intakeQ}, intakeQ + " is not a dead-letter queue"},
		{[]string{"move", "--dlq", intakeQ, "--to", catchAll}, intakeQ + " is not a dead-letter queue"},
		{[]string{"move", "--dlq", dlq, "--to", catchAll}, catchAll + " is not a queue whose dead-letter queue is " + dlq},
	} {
		code, _, errOut := runCLI(t, "", append([]string{"intake-dlq"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("intake-dlq %q: exit %d, stderr %q; want exit 2 naming %q", tc.args, code, errOut, tc.want)
		}
	}
}
