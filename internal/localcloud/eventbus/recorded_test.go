//go:build integration

package eventbus_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"
)

// TestRecordedErrors: the errors AWS was recorded answering, for the operations the local
// endpoint serves. Each case names its source: a test of github.com/localstack/localstack
// tests/aws/services/events/ (file::class::test, the snapshot's recorded date). The local
// message is AWS's, and may go on with detail after it ("... over the limit. The entries ...").
func TestRecordedErrors(t *testing.T) {
	h := newHarness(t)
	ctx := h.ctx()
	bus, busARN := h.bus("rec")
	_, qarn := h.queue("rec", nil)
	missingBus := h.name("doesnotexist")
	missingBusARN := strings.Replace(busARN, bus, missingBus, 1)
	h.rule(bus, "with-target", `{"source":["s"]}`)
	h.targets(bus, "with-target", ebtypes.Target{Id: aws.String("t"), Arn: aws.String(qarn)})
	h.rule(bus, "five", `{"source":["s"]}`)
	arch, err := h.eb.CreateArchive(ctx, &eventbridge.CreateArchiveInput{ArchiveName: aws.String(h.name("arch")), EventSourceArn: aws.String(busARN)})
	if err != nil {
		t.Fatal(err)
	}
	otherBus, otherBusARN := h.bus("rec-other")
	_ = otherBus
	now := time.Now()
	replay := func(name, source, dest string, start, end time.Time) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := h.eb.StartReplay(ctx, &eventbridge.StartReplayInput{ReplayName: aws.String(h.name(name)), EventSourceArn: aws.String(source),
				EventStartTime: aws.Time(start), EventEndTime: aws.Time(end), Destination: &ebtypes.ReplayDestination{Arn: aws.String(dest)}})
			return err
		}
	}
	var six []ebtypes.Target
	for _, id := range []string{"a", "b", "c", "d", "e", "f"} {
		six = append(six, ebtypes.Target{Id: aws.String(id), Arn: aws.String(qarn)})
	}
	putTarget := func(tg ebtypes.Target) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := h.eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("five"), EventBusName: aws.String(bus), Targets: []ebtypes.Target{tg}})
			return err
		}
	}
	archiveName := h.name("missing-archive")
	for _, c := range []struct {
		source, code, message string
		call                  func(context.Context) error
	}{
		{"test_events.py::TestEventBus::test_create_multiple_event_buses_same_name 12-03-2025", "ResourceAlreadyExistsException", "Event bus " + bus + " already exists.",
			func(ctx context.Context) error {
				_, err := h.eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)})
				return err
			}},
		{"test_events.py::TestEventBus::test_describe_delete_not_existing_event_bus 12-03-2025 (describe)", "ResourceNotFoundException", "Event bus " + missingBus + " does not exist.",
			func(ctx context.Context) error {
				_, err := h.eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(missingBus)})
				return err
			}},
		{"test_events.py::TestEventBus::test_describe_delete_not_existing_event_bus 12-03-2025 (delete)", "ResourceNotFoundException", "Event bus " + missingBus + " does not exist.",
			func(ctx context.Context) error {
				_, err := h.eb.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String(missingBus)})
				return err
			}},
		{"test_events.py::TestEventBus::test_delete_default_event_bus 12-03-2025", "ValidationException", "Cannot delete event bus default.",
			func(ctx context.Context) error {
				_, err := h.eb.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("default")})
				return err
			}},
		{"test_events.py::TestEventRule::test_describe_nonexistent_rule 12-03-2025", "ResourceNotFoundException", "Rule " + h.name("norule") + " does not exist on EventBus default.",
			func(ctx context.Context) error {
				_, err := h.eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(h.name("norule"))})
				return err
			}},
		{"test_events.py::TestEventRule::test_delete_rule_with_targets 12-03-2025", "ValidationException", "Rule can't be deleted since it has targets.",
			func(ctx context.Context) error {
				_, err := h.eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("with-target"), EventBusName: aws.String(bus)})
				return err
			}},
		{"test_events.py::TestEventTarget::test_add_exceed_fife_targets_per_rule 12-03-2025", "LimitExceededException", "The requested resource exceeds the maximum number allowed.",
			func(ctx context.Context) error {
				_, err := h.eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("five"), EventBusName: aws.String(bus), Targets: six})
				return err
			}},
		{"test_events.py::TestEventTarget::test_put_target_id_validation 08-01-2025 (pattern)", "ValidationException",
			`1 validation error detected: Value '!@#$@!#$' at 'targets.1.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_A-Za-z0-9]+`,
			putTarget(ebtypes.Target{Id: aws.String("!@#$@!#$"), Arn: aws.String(qarn)})},
		{"test_events.py::TestEventTarget::test_put_target_id_validation 08-01-2025 (length)", "ValidationException",
			"1 validation error detected: Value '" + strings.Repeat("x", 65) + "' at 'targets.1.member.id' failed to satisfy constraint: Member must have length less than or equal to 64",
			putTarget(ebtypes.Target{Id: aws.String(strings.Repeat("x", 65)), Arn: aws.String(qarn)})},
		{"test_events_inputs.py::TestInputTransformer::test_put_events_with_input_transformer_missing_keys 12-03-2025", "ValidationException",
			"InputTemplate for target m contains invalid placeholder notdefinedkey.",
			putTarget(ebtypes.Target{Id: aws.String("m"), Arn: aws.String(qarn), InputTransformer: &ebtypes.InputTransformer{
				InputPathsMap: map[string]string{"detail-type": "$.detail-type"}, InputTemplate: aws.String(`"Event of <detail-type> type, with not defined key <notdefinedkey>"`)}})},
		{"test_events_inputs.py::test_put_event_input_path_and_input_transformer 12-03-2025", "ValidationException",
			"Only one of Input, InputPath, or InputTransformer must be provided for target m.",
			putTarget(ebtypes.Target{Id: aws.String("m"), Arn: aws.String(qarn), InputPath: aws.String("$.detail"), InputTransformer: &ebtypes.InputTransformer{InputTemplate: aws.String(`"x"`)}})},
		{"test_events.py::TestEvents::test_put_event_with_too_big_detail 08-01-2025", "ValidationException", "Total size of the entries in the request is over the limit.",
			func(ctx context.Context) error {
				e := entry(bus, "s", "x", `{"a":"`+strings.Repeat("x", 256*1024)+`"}`)
				_, err := h.eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{e}})
				return err
			}},
		{"test_archive_and_replay.py::TestArchive::test_create_archive_error_unknown_event_bus 12-03-2025", "ResourceNotFoundException", "Event bus " + missingBus + " does not exist.",
			func(ctx context.Context) error {
				_, err := h.eb.CreateArchive(ctx, &eventbridge.CreateArchiveInput{ArchiveName: aws.String(h.name("a2")), EventSourceArn: aws.String(missingBusARN)})
				return err
			}},
		{"test_archive_and_replay.py::TestArchive::test_create_archive_error_duplicate 12-03-2025", "ResourceAlreadyExistsException", "Archive " + h.name("arch") + " already exists.",
			func(ctx context.Context) error {
				_, err := h.eb.CreateArchive(ctx, &eventbridge.CreateArchiveInput{ArchiveName: aws.String(h.name("arch")), EventSourceArn: aws.String(busARN)})
				return err
			}},
		{"test_archive_and_replay.py::TestArchive::test_describe_archive_error_unknown_archive 12-03-2025", "ResourceNotFoundException", "Archive " + archiveName + " does not exist.",
			func(ctx context.Context) error {
				_, err := h.eb.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String(archiveName)})
				return err
			}},
		{"test_archive_and_replay.py::TestArchive::test_list_archive_error_unknown_source_arn 12-03-2025", "ResourceNotFoundException", "Event bus " + missingBus + " does not exist.",
			func(ctx context.Context) error {
				_, err := h.eb.ListArchives(ctx, &eventbridge.ListArchivesInput{EventSourceArn: aws.String(missingBusARN)})
				return err
			}},
		{"test_archive_and_replay.py::TestReplay::test_start_replay_error_unknown_event_bus 12-03-2025 (missing bus)", "ResourceNotFoundException", "Event bus " + missingBus + " does not exist.",
			replay("rp1", aws.ToString(arch.ArchiveArn), missingBusARN, now.Add(-time.Minute), now)},
		{"test_archive_and_replay.py::TestReplay::test_start_replay_error_unknown_event_bus 12-03-2025 (other bus)", "ValidationException", "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.",
			replay("rp2", aws.ToString(arch.ArchiveArn), otherBusARN, now.Add(-time.Minute), now)},
		{"test_archive_and_replay.py::TestReplay::test_start_replay_error_unknown_archive 12-03-2025", "ValidationException", "Parameter EventSourceArn is not valid. Reason: Archive " + archiveName + " does not exist.",
			replay("rp3", strings.Replace(aws.ToString(arch.ArchiveArn), h.name("arch"), archiveName, 1), busARN, now.Add(-time.Minute), now)},
		{"test_archive_and_replay.py::TestReplay::test_start_replay_error_invalid_end_time 12-03-2025", "ValidationException", "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.",
			replay("rp4", aws.ToString(arch.ArchiveArn), busARN, now, now)},
		{"test_archive_and_replay.py::TestReplay::test_describe_replay_error_unknown_replay 12-03-2025", "ResourceNotFoundException", "Replay " + h.name("norp") + " does not exist.",
			func(ctx context.Context) error {
				_, err := h.eb.DescribeReplay(ctx, &eventbridge.DescribeReplayInput{ReplayName: aws.String(h.name("norp"))})
				return err
			}},
	} {
		err := c.call(ctx)
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != c.code || !strings.HasPrefix(api.ErrorMessage(), c.message) {
			t.Errorf("%s:\n got  %v\n want %s: %s", c.source, err, c.code, c.message)
		}
	}
}

// TestRecordedPutEventsEntryErrors: per-entry PutEvents failures as AWS answers them
// (test_events.py::TestEvents::test_put_events_without_source, test_put_event_without_detail,
// test_put_event_without_detail_type, test_put_event_malformed_detail[STRING, ARRAY,
// MALFORMED_JSON, SERIALIZED_STRING], all recorded 08-01-2025).
func TestRecordedPutEventsEntryErrors(t *testing.T) {
	h := newHarness(t)
	bus, _ := h.bus("entries")
	d := `{"command":"update-account"}`
	src, dt := aws.String("core.update-account-command"), aws.String("core.update-account-command")
	cases := []struct {
		entry         ebtypes.PutEventsRequestEntry
		code, message string
	}{
		{ebtypes.PutEventsRequestEntry{EventBusName: aws.String(bus), DetailType: dt, Detail: aws.String(d)}, "InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."},
		{ebtypes.PutEventsRequestEntry{EventBusName: aws.String(bus), Source: src, DetailType: dt}, "InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."},
		{ebtypes.PutEventsRequestEntry{EventBusName: aws.String(bus), Source: src, Detail: aws.String(d)}, "InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."},
		{ebtypes.PutEventsRequestEntry{EventBusName: aws.String(bus), Source: src, DetailType: dt, Detail: aws.String(`"STRING"`)}, "MalformedDetail", "Detail is malformed."},
		{ebtypes.PutEventsRequestEntry{EventBusName: aws.String(bus), Source: src, DetailType: dt, Detail: aws.String(`["ARRAY"]`)}, "MalformedDetail", "Detail is malformed."},
		{ebtypes.PutEventsRequestEntry{EventBusName: aws.String(bus), Source: src, DetailType: dt, Detail: aws.String(`{"foo": "bar"`)}, "MalformedDetail", "Detail is malformed."},
		{ebtypes.PutEventsRequestEntry{EventBusName: aws.String(bus), Source: src, DetailType: dt, Detail: aws.String(`"{\"foo\": \"bar\"}"`)}, "MalformedDetail", "Detail is malformed."},
	}
	var entries []ebtypes.PutEventsRequestEntry
	for _, c := range cases {
		entries = append(entries, c.entry)
	}
	out := h.put(entries...)
	if out.FailedEntryCount != int32(len(cases)) {
		t.Fatalf("FailedEntryCount %d, want %d", out.FailedEntryCount, len(cases))
	}
	for i, c := range cases {
		e := out.Entries[i]
		if aws.ToString(e.ErrorCode) != c.code || aws.ToString(e.ErrorMessage) != c.message {
			t.Errorf("entry %d: %s: %s; want %s: %s", i, aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage), c.code, c.message)
		}
	}
}
