package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/hydrant-dev/hydrant/handlers/democonsumer/poison"
	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/hydrant-dev/hydrant/internal/localcloud"
	"github.com/hydrant-dev/hydrant/internal/redrive"
	"github.com/hydrant-dev/hydrant/internal/streams/dynamodbjson"
)

// The second act: the consumers are fixed (poison.FixedEnv), the team queues and then the
// archive are redriven to them with one journal, and the consumers' log shows what they
// processed.

// ConsumerEntry is one poison record the demo consumer logged: failed, or processed once fixed.
type ConsumerEntry struct {
	Function  string `json:"function"`
	Processed bool   `json:"processed"`
	StreamARN string `json:"streamArn"`
	Sequence  string `json:"sequenceNumber"`
	EventID   string `json:"eventId"`
	Payload   string `json:"payload"`
}

// ConsumerLog is a slog.Handler in front of the local cloud's log: it keeps the demo
// consumer's poison.LogFailed and poison.LogProcessed records, in the order they were logged,
// and passes every record on to next as next's level allows.
type ConsumerLog struct {
	next  slog.Handler
	attrs []slog.Attr
	store *consumerStore
}

type consumerStore struct {
	mu      sync.Mutex
	entries []ConsumerEntry
}

// NewConsumerLog keeps the consumer's records and hands everything to next.
func NewConsumerLog(next slog.Handler) *ConsumerLog {
	return &ConsumerLog{next: next, store: &consumerStore{}}
}

// Enabled is true from Info up, where the consumer logs its poison records.
func (l *ConsumerLog) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= slog.LevelInfo || l.next.Enabled(ctx, level)
}

// Handle keeps a consumer record and passes the record on.
func (l *ConsumerLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == poison.LogFailed || r.Message == poison.LogProcessed {
		e := ConsumerEntry{Processed: r.Message == poison.LogProcessed}
		set := func(a slog.Attr) bool {
			v := a.Value.Resolve().String()
			switch a.Key {
			case "function":
				e.Function = v
			case poison.AttrStreamARN:
				e.StreamARN = v
			case poison.AttrSequence:
				e.Sequence = v
			case poison.AttrEventID:
				e.EventID = v
			case poison.AttrPayload:
				e.Payload = v
			}
			return true
		}
		for _, a := range l.attrs {
			set(a)
		}
		r.Attrs(set)
		l.store.mu.Lock()
		l.store.entries = append(l.store.entries, e)
		l.store.mu.Unlock()
	}
	if !l.next.Enabled(ctx, r.Level) {
		return nil
	}
	return l.next.Handle(ctx, r)
}

// WithAttrs keeps the attributes (the function's name) for the records it keeps.
func (l *ConsumerLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &ConsumerLog{next: l.next.WithAttrs(attrs), attrs: append(append([]slog.Attr(nil), l.attrs...), attrs...), store: l.store}
}

// WithGroup groups the records passed on; the consumer logs no group.
func (l *ConsumerLog) WithGroup(name string) slog.Handler {
	return &ConsumerLog{next: l.next.WithGroup(name), attrs: l.attrs, store: l.store}
}

// Entries are the consumer's records so far, in order.
func (l *ConsumerLog) Entries() []ConsumerEntry {
	l.store.mu.Lock()
	defer l.store.mu.Unlock()
	return append([]ConsumerEntry(nil), l.store.entries...)
}

// RedriveAct is the second act's report.
type RedriveAct struct {
	// Switch is how the consumers were fixed; FixedFunctions are the consumers it was set on.
	Switch         string   `json:"switch"`
	FixedFunctions []string `json:"fixedFunctions"`
	// Runs are the redrives, in order: each team queue, then the archive, with one journal.
	Runs []RedriveRun `json:"runs"`
	// Records are the poison records as the fixed consumers processed them.
	Records []RedrivenRecord `json:"records"`
	// Unexpected are records the fixed consumers processed that are no poison record of the run.
	Unexpected []string `json:"unexpected"`
	Problems   []string `json:"problems"`
	Elapsed    float64  `json:"elapsedSeconds"`
	OK         bool     `json:"ok"`
}

// RedriveRun is one `hydrant redrive` run of the act.
type RedriveRun struct {
	From        string            `json:"from"`
	To          string            `json:"to"`
	Read        int               `json:"read"`
	Redriven    int               `json:"redriven"`
	AlreadyDone int               `json:"alreadyDone"`
	FailedAgain int               `json:"failedAgain"`
	Held        int               `json:"held"`
	Skipped     map[string]int    `json:"skipped"`
	Failures    []redrive.Failure `json:"failures"`
	Seconds     float64           `json:"seconds"`
}

// RedrivenRecord is what the fixed consumer did with one poison record.
type RedrivenRecord struct {
	Source    string `json:"source"`
	Key       string `json:"key"`
	StreamARN string `json:"streamArn"`
	Sequence  string `json:"sequenceNumber"`
	// Processed counts the fixed consumer's invocations that processed it: 1 when redriven
	// exactly once.
	Processed int `json:"processed"`
	// FailedPayload is the payload the consumer failed on; SamePayload: it processed the same.
	FailedPayload string `json:"failedPayload,omitempty"`
	SamePayload   bool   `json:"samePayload"`
	InOrder       bool   `json:"inOrder"`
	OK            bool   `json:"ok"`
	Problem       string `json:"problem,omitempty"`
}

func runFromReport(r *redrive.Report) RedriveRun {
	run := RedriveRun{From: r.From, To: r.To, Skipped: r.Skipped, Failures: r.Failures, Seconds: float64(time.Duration(r.Seconds*float64(time.Second)).Round(10*time.Millisecond)) / float64(time.Second)}
	for _, s := range r.Streams {
		run.Read += s.Read
		run.Redriven += s.Redriven
		run.AlreadyDone += s.AlreadyDone
		run.FailedAgain += s.FailedAgain
		run.Held += s.Held
	}
	return run
}

// secondAct fixes the consumers, redrives the team queues then the archive to them with one
// journal, and checks what they processed. since selects the events of this run.
func secondAct(ctx context.Context, c *localcloud.Cloud, t *Tracer, teamQueues []Target, poisonOut []Outcome, log *ConsumerLog, since time.Time, progress func(string, ...any)) (*RedriveAct, error) {
	start := time.Now()
	act := &RedriveAct{Switch: poison.FixedEnv + "=true", FixedFunctions: []string{}, Runs: []RedriveRun{}}
	// The kept team-queue messages go back to their queues, for the redrive to receive.
	if err := t.Release(ctx); err != nil {
		return nil, err
	}
	lc := lambda.NewFromConfig(c.AWSConfig(), func(o *lambda.Options) { o.BaseEndpoint = aws.String(c.LambdaEndpoint()) })
	dst := &consumers{byStream: map[string]*redrive.FunctionDestination{}}
	fixed := map[string]bool{}
	for _, m := range c.Mappings() {
		a, err := arn.Parse(m.Config.EventSourceARN)
		if err != nil || (a.Service != "kinesis" && a.Service != "dynamodb") {
			continue
		}
		if !fixed[m.FunctionName] {
			if err := c.UpdateFunctionEnvironment(m.FunctionName, map[string]string{poison.FixedEnv: "true"}); err != nil {
				return nil, fmt.Errorf("fix the consumer: %w", err)
			}
			fixed[m.FunctionName] = true
			act.FixedFunctions = append(act.FixedFunctions, m.FunctionName)
		}
		dst.byStream[m.Config.EventSourceARN] = redrive.NewFunctionDestination(lc, m.FunctionName)
	}
	sort.Strings(act.FixedFunctions)
	progress("second act: consumers fixed (%s on %s); redriving the team queues, then the archive, with one journal", act.Switch, strings.Join(act.FixedFunctions, ", "))

	dir, err := os.MkdirTemp("", "hydrant-demo-redrive-")
	if err != nil {
		return nil, fmt.Errorf("redrive journal: %w", err)
	}
	defer os.RemoveAll(dir)
	journal, err := redrive.OpenJournal(filepath.Join(dir, "journal"))
	if err != nil {
		return nil, err
	}
	defer journal.Close()
	e := c.Endpoints()
	s3c := e.S3Client()
	opts := redrive.Options{Since: since, Journal: journal, Offloads: s3c, Log: slog.New(slog.DiscardHandler)}
	var sources []redrive.Source
	for _, q := range teamQueues {
		// Reserved for as long as the act may take; what is not redriven is released.
		sources = append(sources, redrive.NewQueueSource(e.SQSClient(), q.QueueURL(), 5*time.Minute))
	}
	buckets := map[string]bool{}
	for _, tg := range t.Targets {
		if tg.Kind == "firehose" && !buckets[tg.stream.Bucket] {
			buckets[tg.stream.Bucket] = true
			sources = append(sources, redrive.NewArchiveSource(s3c, tg.stream.Bucket, "events/"))
		}
	}
	for _, src := range sources {
		rep, err := redrive.Run(ctx, src, dst, opts)
		if err != nil {
			return nil, fmt.Errorf("redrive %s: %w", src, err)
		}
		run := runFromReport(rep)
		act.Runs = append(act.Runs, run)
		progress("  redrive %s: read %d, redriven %d, already done %d, failed again %d (%.1fs)", run.From, run.Read, run.Redriven, run.AlreadyDone, run.FailedAgain+run.Held, run.Seconds)
	}
	act.check(poisonOut, log.Entries())
	act.Elapsed = time.Since(start).Round(10 * time.Millisecond).Seconds()
	return act, nil
}

// consumers is the redrive's destination: each stream's consumer function, as its event
// source mapping names it.
type consumers struct {
	byStream map[string]*redrive.FunctionDestination
}

func (d *consumers) String() string { return "the streams' consumer functions" }

func (d *consumers) Accepts(ctx context.Context, r *redrive.Record) (bool, string) {
	fd, ok := d.byStream[r.Detail.StreamARN]
	if !ok {
		return false, "no consumer function reads stream " + r.Detail.StreamARN
	}
	return fd.Accepts(ctx, r)
}

func (d *consumers) BatchLimit(ctx context.Context, streamARN string) (int, int) {
	return d.byStream[streamARN].BatchLimit(ctx, streamARN)
}

func (d *consumers) Deliver(ctx context.Context, recs []*redrive.Record) ([]*redrive.Record, error) {
	return d.byStream[recs[0].Detail.StreamARN].Deliver(ctx, recs)
}

// teamQueues are the SQS targets of the team subscriptions' rules: the queues a team redrives
// from.
func teamQueues(c *localcloud.Cloud, t *Tracer) []Target {
	subs := map[string]bool{}
	for _, r := range c.OfType(hydrantinfra.SubscriptionType) {
		subs[r.Name] = true
	}
	rules := map[string]bool{}
	for _, r := range c.OfType("aws:cloudwatch/eventRule:EventRule") {
		if subs[r.Parent] {
			rules[r.Physical] = true
		}
	}
	var out []Target
	seen := map[string]bool{}
	for _, tg := range t.Targets {
		if tg.Kind == "sqs" && rules[tg.Rule] && !seen[tg.queueURL] {
			seen[tg.queueURL] = true
			out = append(out, tg)
		}
	}
	return out
}

// check compares what the fixed consumers processed with the poison records: each processed
// exactly once, with the payload the consumer failed on (and the demo put), and in sequence
// order per shard; and every redrive run complete.
func (a *RedriveAct) check(poisonOut []Outcome, entries []ConsumerEntry) {
	a.Problems, a.Unexpected, a.Records = []string{}, []string{}, []RedrivenRecord{}
	for _, run := range a.Runs {
		if n := run.FailedAgain + run.Held; n > 0 {
			a.Problems = append(a.Problems, fmt.Sprintf("redrive %s: %d records failed again or were held", run.From, n))
		}
	}
	key := func(stream, seq string) string { return stream + "|" + seq }
	failed := map[string]ConsumerEntry{}
	processed := map[string][]ConsumerEntry{}
	var order []ConsumerEntry // processed, in the order the consumers logged them
	for _, e := range entries {
		k := key(e.StreamARN, e.Sequence)
		if !e.Processed {
			if _, ok := failed[k]; !ok {
				failed[k] = e
			}
			continue
		}
		processed[k] = append(processed[k], e)
		order = append(order, e)
	}
	known := map[string]bool{}
	outOfOrder := outOfOrder(order)
	for _, o := range poisonOut {
		k := key(o.StreamARN, o.Sequence)
		known[k] = true
		r := RedrivenRecord{Source: o.Source, Key: o.Key, StreamARN: o.StreamARN, Sequence: o.Sequence, Processed: len(processed[k]), InOrder: !outOfOrder[k]}
		f, hasFailed := failed[k]
		r.FailedPayload = f.Payload
		var problems []string
		switch {
		case o.Sequence == "":
			problems = append(problems, "no sequence number known for it")
		case r.Processed == 0:
			problems = append(problems, "not processed by the fixed consumer")
		case r.Processed > 1:
			problems = append(problems, fmt.Sprintf("processed %d times", r.Processed))
		}
		if !hasFailed {
			problems = append(problems, "the consumer never logged failing it")
		}
		if r.Processed > 0 && hasFailed {
			got := processed[k][0].Payload
			r.SamePayload = got == f.Payload
			if !r.SamePayload {
				problems = append(problems, fmt.Sprintf("processed payload %s, failed on %s", got, f.Payload))
			} else if !samePayload(o.Source, got, o.Data) {
				r.SamePayload = false
				problems = append(problems, fmt.Sprintf("payload %s is not the record the demo put (%s)", got, o.Data))
			}
		}
		if !r.InOrder {
			problems = append(problems, "processed out of sequence order in its shard")
		}
		r.Problem = strings.Join(problems, "; ")
		r.OK = r.Problem == ""
		if !r.OK {
			a.Problems = append(a.Problems, fmt.Sprintf("%s record %s: %s", o.Source, o.Key, r.Problem))
		}
		a.Records = append(a.Records, r)
	}
	for _, e := range order {
		if !known[key(e.StreamARN, e.Sequence)] {
			a.Unexpected = append(a.Unexpected, fmt.Sprintf("%s %s (%s)", e.StreamARN, e.Sequence, e.Function))
		}
	}
	if len(a.Unexpected) > 0 {
		a.Problems = append(a.Problems, fmt.Sprintf("the fixed consumers processed %d records that are no poison record of this run", len(a.Unexpected)))
	}
	a.OK = len(a.Problems) == 0 && len(a.Records) > 0
}

// outOfOrder returns the records (stream|sequence) processed after a later record of their
// shard. A Kinesis record's shard is its eventID's prefix (shardId-...:sequence); a DynamoDB
// record's is not in the event, so its stream stands for it.
func outOfOrder(order []ConsumerEntry) map[string]bool {
	out := map[string]bool{}
	last := map[string]*big.Int{}
	for _, e := range order {
		shard := e.StreamARN
		if s, _, ok := strings.Cut(e.EventID, ":"); ok && strings.HasPrefix(s, "shardId-") {
			shard += "|" + s
		}
		n, ok := new(big.Int).SetString(e.Sequence, 10)
		if !ok {
			out[e.StreamARN+"|"+e.Sequence] = true
			continue
		}
		if prev, ok := last[shard]; ok && n.Cmp(prev) <= 0 {
			out[e.StreamARN+"|"+e.Sequence] = true
			continue
		}
		last[shard] = n
	}
	return out
}

// samePayload compares a payload the consumer logged with the record the demo put: a Kinesis
// record's data, a DynamoDB record's new image (DynamoDB JSON) as plain JSON.
func samePayload(source, logged string, put json.RawMessage) bool {
	got := []byte(logged)
	if source == "dynamodb" {
		item, err := dynamodbjson.ParseItem(json.RawMessage(logged))
		if err != nil {
			return false
		}
		plain, err := dynamodbjson.Item(item)
		if err != nil {
			return false
		}
		if got, err = json.Marshal(plain); err != nil {
			return false
		}
	}
	var a, b any
	if json.Unmarshal(got, &a) != nil || json.Unmarshal(put, &b) != nil {
		return false
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
