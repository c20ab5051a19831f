//go:build integration

package esm

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
	"github.com/hydrant-dev/hydrant/internal/testkit/failuretest"
)

func putRecord(t *testing.T, ep emulators.Endpoints, streamARN, data, hashKey string) {
	t.Helper()
	in := &kinesis.PutRecordInput{StreamARN: aws.String(streamARN), Data: []byte(data), PartitionKey: aws.String(data)}
	if hashKey != "" {
		in.ExplicitHashKey = aws.String(hashKey)
	}
	if _, err := ep.KinesisClient().PutRecord(context.Background(), in); err != nil {
		t.Fatalf("put record %s: %v", data, err)
	}
}

func flatten(batches [][]string) []string {
	var out []string
	for _, b := range batches {
		out = append(out, b...)
	}
	return out
}

// LATEST delivers the records written after Add returns, not those before.
func TestStartingPositionLatest(t *testing.T) {
	t.Parallel()
	ep := emulators.Get(t)
	b := failuretest.PutKinesis(t, ep, data("before", 2))
	c := &consumer{}
	m := newMappings(t, ep, Options{})
	mp, err := m.Add(context.Background(), Config{EventSourceARN: b.StreamARN, FunctionARN: testFunctionARN, StartingPosition: StartingPositionLatest}, c.kinesis)
	if err != nil {
		t.Fatal(err)
	}
	putRecord(t, ep, b.StreamARN, "after1", "")
	waitFor(t, 10*time.Second, "the new record", func() bool { return mp.Stats().Invocations >= 1 })
	settle(t, mp, 0)
	if got := flatten(c.invoked()); !slices.Equal(got, []string{"after1"}) {
		t.Errorf("delivered %v, want [after1]", got)
	}
}

// After a shard split the parent is read to its end first, then both
// children from TRIM_HORIZON.
func TestReshardingFollowsChildShards(t *testing.T) {
	t.Parallel()
	ep := emulators.Get(t)
	b := failuretest.PutKinesis(t, ep, data("parent", 2))
	c := &consumer{}
	m := newMappings(t, ep, Options{})
	mp, err := m.Add(context.Background(), Config{EventSourceARN: b.StreamARN, FunctionARN: testFunctionARN,
		StartingPosition: StartingPositionTrimHorizon}, c.kinesis)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the parent's records", func() bool { return len(flatten(c.invoked())) == 2 })

	ctx := context.Background()
	kc := ep.KinesisClient()
	half := new(big.Int).Lsh(big.NewInt(1), 127)
	if _, err := kc.SplitShard(ctx, &kinesis.SplitShardInput{StreamARN: aws.String(b.StreamARN), ShardToSplit: aws.String(b.ShardID),
		NewStartingHashKey: aws.String(half.String())}); err != nil {
		t.Fatalf("split shard: %v", err)
	}
	waitFor(t, 20*time.Second, "the stream to be active again", func() bool {
		out, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamARN: aws.String(b.StreamARN)})
		return err == nil && out.StreamDescriptionSummary.StreamStatus == ktypes.StreamStatusActive
	})
	putRecord(t, ep, b.StreamARN, "low", "1")
	putRecord(t, ep, b.StreamARN, "high", new(big.Int).Add(half, big.NewInt(1)).String())
	waitFor(t, 20*time.Second, "the children's records", func() bool { return len(flatten(c.invoked())) == 4 })
	settle(t, mp, 0)

	got := flatten(c.invoked())
	if !slices.Equal(got[:2], []string{"parent1", "parent2"}) || !slices.Contains(got, "low") || !slices.Contains(got, "high") || len(got) != 4 {
		t.Fatalf("delivered %v, want parent1 parent2 then low and high", got)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	shards := map[string]bool{}
	for _, p := range c.payloads {
		for _, id := range eventIDs(t, p) {
			shards[strings.SplitN(id, ":", 2)[0]] = true
		}
	}
	if len(shards) != 3 || !shards[b.ShardID] {
		t.Errorf("records came from shards %v, want the parent and two children", shards)
	}
}

// Close lets an in-flight invocation finish with its context intact.
func TestCloseWaitsForInFlightInvocation(t *testing.T) {
	t.Parallel()
	ep := emulators.Get(t)
	b := failuretest.PutKinesis(t, ep, data("r", 1))
	started := make(chan struct{})
	var once sync.Once
	var fnErr error
	var finished bool
	fn := func(ctx context.Context, _ []byte) ([]byte, error) {
		once.Do(func() { close(started) })
		time.Sleep(300 * time.Millisecond)
		fnErr, finished = ctx.Err(), true
		return nil, nil
	}
	m := New(clientsFor(ep), Options{PollInterval: 50 * time.Millisecond})
	if _, err := m.Add(context.Background(), Config{EventSourceARN: b.StreamARN, FunctionARN: testFunctionARN, StartingPosition: StartingPositionTrimHorizon}, fn); err != nil {
		t.Fatal(err)
	}
	<-started
	if err := m.Close(context.Background()); err != nil {
		t.Fatalf("close: %v", err)
	}
	if !finished || fnErr != nil {
		t.Errorf("after Close: invocation finished %v with context error %v, want finished, nil", finished, fnErr)
	}
}

// When Close's context ends first, the function's context is cancelled.
func TestCloseDeadlineCancelsFunctions(t *testing.T) {
	t.Parallel()
	ep := emulators.Get(t)
	b := failuretest.PutKinesis(t, ep, data("r", 1))
	started := make(chan struct{})
	var once sync.Once
	cancelled := make(chan error, 1)
	fn := func(ctx context.Context, _ []byte) ([]byte, error) {
		once.Do(func() { close(started) })
		<-ctx.Done()
		cancelled <- ctx.Err()
		return nil, ctx.Err()
	}
	m := New(clientsFor(ep), Options{PollInterval: 50 * time.Millisecond})
	mp, err := m.Add(context.Background(), Config{EventSourceARN: b.StreamARN, FunctionARN: testFunctionARN, StartingPosition: StartingPositionTrimHorizon}, fn)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := m.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("close = %v, want DeadlineExceeded", err)
	}
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Errorf("function context error %v, want Canceled", err)
	}
	if st := mp.Stats(); st.State != "Disabled" || st.BatchesDiscarded != 0 {
		t.Errorf("stats after close = %+v, want Disabled and nothing discarded", st)
	}
}

// Remove stops one mapping; a disabled mapping never polls.
func TestRemoveAndDisabled(t *testing.T) {
	t.Parallel()
	ep := emulators.Get(t)
	b := failuretest.PutKinesis(t, ep, data("r", 1))
	c := &consumer{}
	m := newMappings(t, ep, Options{})
	off, err := m.Add(context.Background(), Config{EventSourceARN: b.StreamARN, FunctionARN: testFunctionARN,
		StartingPosition: StartingPositionTrimHorizon, Enabled: new(false)}, c.kinesis)
	if err != nil {
		t.Fatal(err)
	}
	on, err := m.Add(context.Background(), Config{UUID: "on", EventSourceARN: b.StreamARN, FunctionARN: testFunctionARN,
		StartingPosition: StartingPositionTrimHorizon}, c.kinesis)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Add(context.Background(), Config{UUID: "on", EventSourceARN: b.StreamARN, FunctionARN: testFunctionARN,
		StartingPosition: StartingPositionTrimHorizon}, c.kinesis); err == nil {
		t.Error("a second mapping with the same UUID was accepted")
	}
	waitFor(t, 10*time.Second, "one invocation", func() bool { return on.Stats().Invocations == 1 })
	if got := len(m.List()); got != 2 {
		t.Errorf("List has %d mappings, want 2", got)
	}
	if err := m.Remove(context.Background(), "on"); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Get("on"); ok {
		t.Error("removed mapping still listed")
	}
	if err := m.Remove(context.Background(), "on"); err == nil {
		t.Error("removing twice succeeded")
	}
	if st := off.Stats(); st.State != "Disabled" || st.Invocations != 0 {
		t.Errorf("disabled mapping stats = %+v", st)
	}
	if len(c.invoked()) != 1 {
		t.Errorf("%d invocations, want 1 (the enabled mapping's)", len(c.invoked()))
	}
}

// eventIDs reads the eventIDs of a Kinesis event payload.
func eventIDs(t *testing.T, payload []byte) []string {
	t.Helper()
	var ev events.KinesisEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(ev.Records))
	for i, r := range ev.Records {
		ids[i] = r.EventID
	}
	return ids
}
