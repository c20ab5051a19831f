//go:build integration

package eventbus_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

func TestArchiveAndReplay(t *testing.T) {
	h := newHarness(t)
	ctx := h.ctx()
	bus, busARN := h.bus("replay")
	qurl, qarn := h.queue("replay", nil)
	otherURL, otherARN := h.queue("replay-other", nil)

	arch, err := h.eb.CreateArchive(ctx, &eventbridge.CreateArchiveInput{
		ArchiveName: aws.String(h.name("arch")), EventSourceArn: aws.String(busARN),
		EventPattern: aws.String(`{"detail-type":["keep"]}`), RetentionDays: aws.Int32(7),
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:events:us-east-1:000000000000:archive/" + h.name("arch"); aws.ToString(arch.ArchiveArn) != want || arch.State != ebtypes.ArchiveStateEnabled {
		t.Fatalf("archive %+v, want ARN %s", arch, want)
	}
	_, err = h.eb.CreateArchive(ctx, &eventbridge.CreateArchiveInput{ArchiveName: aws.String(h.name("arch")), EventSourceArn: aws.String(busARN)})
	wantCode(t, "duplicate archive", err, "ResourceAlreadyExistsException")
	_, err = h.eb.CreateArchive(ctx, &eventbridge.CreateArchiveInput{ArchiveName: aws.String(h.name("x")), EventSourceArn: aws.String("arn:aws:events:us-east-1:000000000000:event-bus/" + h.name("nobus"))})
	wantCode(t, "archive of a missing bus", err, "ResourceNotFoundException")

	// Events before the rules exist are archived (if they match the archive's pattern) and
	// reach no target.
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	at := func(e ebtypes.PutEventsRequestEntry, offset time.Duration) ebtypes.PutEventsRequestEntry {
		e.Time = aws.Time(base.Add(offset))
		return e
	}
	put := h.put(
		at(entry(bus, "app", "keep", `{"n":1}`), 0),
		at(entry(bus, "app", "skip", `{"n":2}`), time.Minute),    // not archived: pattern
		at(entry(bus, "app", "keep", `{"n":3}`), 2*time.Minute),  // archived
		at(entry(bus, "app", "keep", `{"n":4}`), 30*time.Minute), // archived, outside the replay window
	)
	desc, err := h.eb.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String(h.name("arch"))})
	if err != nil || desc.EventCount != 3 || desc.SizeBytes <= 0 || aws.ToString(desc.EventSourceArn) != busARN || aws.ToInt32(desc.RetentionDays) != 7 {
		t.Fatalf("describe archive: %+v, %v", desc, err)
	}
	list, err := h.eb.ListArchives(ctx, &eventbridge.ListArchivesInput{NamePrefix: aws.String(h.prefix)})
	if err != nil || len(list.Archives) != 1 || list.Archives[0].EventCount != 3 {
		t.Fatalf("list archives: %+v, %v", list, err)
	}

	ruleArn := h.rule(bus, "consume", `{"source":["app"]}`)
	h.targets(bus, "consume", ebtypes.Target{Id: aws.String("q"), Arn: aws.String(qarn)})
	h.rule(bus, "other", `{"source":["app"]}`)
	h.targets(bus, "other", ebtypes.Target{Id: aws.String("q"), Arn: aws.String(otherARN)})

	start, err := h.eb.StartReplay(ctx, &eventbridge.StartReplayInput{
		ReplayName: aws.String(h.name("rp")), EventSourceArn: arch.ArchiveArn,
		EventStartTime: aws.Time(base), EventEndTime: aws.Time(base.Add(10 * time.Minute)),
		Destination: &ebtypes.ReplayDestination{Arn: aws.String(busARN), FilterArns: []string{ruleArn}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if start.State != ebtypes.ReplayStateStarting || aws.ToString(start.ReplayArn) != "arn:aws:events:us-east-1:000000000000:replay/"+h.name("rp") {
		t.Fatalf("start replay: %+v", start)
	}
	states := map[ebtypes.ReplayState]bool{}
	var final *eventbridge.DescribeReplayOutput
	waitFor(t, func() bool {
		d, err := h.eb.DescribeReplay(ctx, &eventbridge.DescribeReplayInput{ReplayName: aws.String(h.name("rp"))})
		if err != nil {
			t.Fatal(err)
		}
		states[d.State] = true
		final = d
		return d.State == ebtypes.ReplayStateCompleted
	})
	if !states[ebtypes.ReplayStateRunning] && !states[ebtypes.ReplayStateStarting] {
		t.Errorf("replay went to COMPLETED without being seen STARTING or RUNNING: %v", states)
	}
	if final.ReplayEndTime == nil || final.EventLastReplayedTime == nil || !final.EventLastReplayedTime.Equal(base.Add(2*time.Minute)) {
		t.Errorf("describe replay: %+v", final)
	}

	got := map[string]string{}
	for _, m := range h.receive(qurl, 2) {
		ev := decodeEvent(t, aws.ToString(m.Body))
		got[string(ev.Detail)] = ev.ID
		if ev.ReplayName != h.name("rp") {
			t.Errorf("replayed event has replay-name %q", ev.ReplayName)
		}
	}
	if got[`{"n":1}`] != aws.ToString(put.Entries[0].EventId) || got[`{"n":3}`] != aws.ToString(put.Entries[2].EventId) {
		t.Errorf("replayed events %v, want n=1 and n=3 with their ids", got)
	}
	h.empty(qurl)
	h.empty(otherURL) // FilterArns left this rule out

	replayErrors := []struct {
		name string
		in   eventbridge.StartReplayInput
		code string
	}{
		{"same name", eventbridge.StartReplayInput{ReplayName: aws.String(h.name("rp")), EventSourceArn: arch.ArchiveArn, EventStartTime: aws.Time(base), EventEndTime: aws.Time(base.Add(time.Minute)),
			Destination: &ebtypes.ReplayDestination{Arn: aws.String(busARN)}}, "ResourceAlreadyExistsException"},
		{"start after end", eventbridge.StartReplayInput{ReplayName: aws.String(h.name("rp2")), EventSourceArn: arch.ArchiveArn, EventStartTime: aws.Time(base), EventEndTime: aws.Time(base.Add(-time.Minute)),
			Destination: &ebtypes.ReplayDestination{Arn: aws.String(busARN)}}, "ValidationException"},
		{"other bus", eventbridge.StartReplayInput{ReplayName: aws.String(h.name("rp3")), EventSourceArn: arch.ArchiveArn, EventStartTime: aws.Time(base), EventEndTime: aws.Time(base.Add(time.Minute)),
			Destination: &ebtypes.ReplayDestination{Arn: aws.String("arn:aws:events:us-east-1:000000000000:event-bus/default")}}, "ValidationException"},
		{"missing archive", eventbridge.StartReplayInput{ReplayName: aws.String(h.name("rp4")), EventSourceArn: aws.String("arn:aws:events:us-east-1:000000000000:archive/" + h.name("none")), EventStartTime: aws.Time(base), EventEndTime: aws.Time(base.Add(time.Minute)),
			Destination: &ebtypes.ReplayDestination{Arn: aws.String(busARN)}}, "ValidationException"}, // as AWS (TestRecordedErrors)
	}
	for _, c := range replayErrors {
		_, err := h.eb.StartReplay(ctx, &c.in)
		wantCode(t, c.name, err, c.code)
	}
	_, err = h.eb.DescribeReplay(ctx, &eventbridge.DescribeReplayInput{ReplayName: aws.String(h.name("none"))})
	wantCode(t, "describe missing replay", err, "ResourceNotFoundException")
}
