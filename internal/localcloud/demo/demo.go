// Package demo is `hydrant demo`'s scenario. On a local cloud running a stack with stream
// consumers, it puts good and poison records on every Kinesis stream and DynamoDB table an
// event source mapping reads, waits while the mappings retry, bisect and hand the poison
// records to their failure destinations and Hydrant hydrates and routes them, then reports,
// for every poison record, each destination the bus's rules promise and whether it got
// there, with the recovered payload.
//
// With Options.Redrive, a second act follows a passing first one: the consumers are fixed
// (DEMO_CONSUMER_FIXED=true, see handlers/democonsumer/poison), the team queues and then the
// S3 archive are redriven to them through the local cloud's Lambda API with one journal (so a
// record redriven from a team queue is already done when the archive is read), and the verdict
// checks, from the consumers' log, that each poison record was processed exactly once, in
// sequence order per shard, with the payload the consumer had failed on.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/hydrant-dev/hydrant/internal/localcloud"
	"github.com/hydrant-dev/hydrant/internal/localcloud/esm"
)

// Options shape the scenario. Zero values take the defaults in parentheses.
type Options struct {
	KinesisGood, KinesisPoison   int           // per stream (20, 2)
	DynamoDBGood, DynamoDBPoison int           // per table (8, 1)
	Timeout                      time.Duration // (100 s)
	PollInterval                 time.Duration // (250 ms)
	// Progress receives one line per second or so while waiting; nil for none.
	Progress io.Writer
	// RunID tells this run's records apart from earlier ones on the same streams; default
	// derived from the clock.
	RunID string
	// Redrive runs the second act after a passing first one; ConsumerLog must then be the
	// handler in front of the local cloud's logger (NewConsumerLog).
	Redrive     bool
	ConsumerLog *ConsumerLog
	// Inboxes are the team inboxes deployed beside the stack (Cloud.DeployTeamInboxes): the
	// verdict checks that each got every poison record of its team's streams and nothing of
	// any other stream.
	Inboxes []localcloud.TeamInbox
}

func (o *Options) defaults() {
	if o.KinesisGood == 0 && o.KinesisPoison == 0 {
		o.KinesisGood, o.KinesisPoison = 20, 2
	}
	if o.DynamoDBGood == 0 && o.DynamoDBPoison == 0 {
		o.DynamoDBGood, o.DynamoDBPoison = 8, 1
	}
	if o.Timeout <= 0 {
		o.Timeout = 100 * time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 250 * time.Millisecond
	}
	if o.RunID == "" {
		o.RunID = fmt.Sprintf("%x", time.Now().UnixNano())[6:]
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

// Record is one record the scenario put.
type Record struct {
	Source    string          `json:"source"` // kinesis or dynamodb
	StreamARN string          `json:"streamArn"`
	Key       string          `json:"key"` // partition key or item id
	Sequence  string          `json:"sequenceNumber,omitempty"`
	Poison    bool            `json:"poison"`
	Data      json.RawMessage `json:"data"`
}

// matches reports whether an event hydrates this record.
func (r Record) matches(ev Event) bool {
	if ev.StreamARN != r.StreamARN {
		return false
	}
	if r.Source == "kinesis" {
		return ev.Sequence == r.Sequence
	}
	id, _ := ev.Keys["id"].(string)
	return id == r.Key
}

// Delivery is one destination a rule promises for a poison record's event.
type Delivery struct {
	Rule string `json:"rule"`
	// Bus is the rule's bus when it is not Hydrant's: a team inbox the event was forwarded to.
	Bus       string `json:"bus,omitempty"`
	Target    string `json:"target"`
	Kind      string `json:"kind"`
	Where     string `json:"where"` // where it was seen (queue, S3 object), or where it should be
	Delivered bool   `json:"delivered"`
	// DeadLettered: the target refused it until its retry policy gave up, and the event is in
	// the target's dead-letter queue (Where).
	DeadLettered bool   `json:"deadLettered,omitempty"`
	Observable   bool   `json:"observable"`
	Note         string `json:"note,omitempty"`
}

// Outcome is what happened to one poison record.
type Outcome struct {
	Record
	EventID            string `json:"eventId,omitempty"`
	FailureDestination string `json:"failureDestination,omitempty"`
	// FailureBatchSize is the size of the discarded batch the record was in: 1 when the
	// mapping isolated it.
	FailureBatchSize int             `json:"failureBatchSize,omitempty"`
	Payload          json.RawMessage `json:"recoveredPayload,omitempty"`
	Deliveries       []Delivery      `json:"deliveries"`
	OK               bool            `json:"ok"`
	Problem          string          `json:"problem,omitempty"`
}

// TargetSummary is what reached one rule target.
type TargetSummary struct {
	Rule    string   `json:"rule"`
	Target  string   `json:"target"`
	Kind    string   `json:"kind"`
	Events  int      `json:"events"`
	Streams []string `json:"streams"` // the streams of the hydrated records it got
}

// Report is the scenario's result.
type Report struct {
	Poison      []Outcome `json:"poisonRecords"`
	GoodRecords int       `json:"goodRecords"`
	GoodLeaked  []string  `json:"goodRecordsHydrated"` // keys of good records that produced events
	// Misrouted lists events seen at a target whose rule does not match them.
	Misrouted []string        `json:"misrouted"`
	Targets   []TargetSummary `json:"targets"`
	// Mappings are the local event source mappings' counters at the end: invocations,
	// function errors and partial batch responses (the retries and bisections), batches
	// discarded to the failure destinations.
	Mappings []esm.Stats `json:"mappings"`
	// Inboxes are the team inboxes' checks (Options.Inboxes).
	Inboxes []InboxCheck `json:"inboxes"`
	// Redrive is the second act (Options.Redrive), absent when it did not run.
	Redrive *RedriveAct `json:"redrive,omitempty"`
	Elapsed float64     `json:"elapsedSeconds"`
	OK      bool        `json:"ok"`
	Verdict string      `json:"verdict"`
}

// InboxCheck is what reached a team's inbox, a bus standing for the team's own account.
type InboxCheck struct {
	Team    string `json:"team"`
	Account string `json:"account"`
	Bus     string `json:"bus"`
	// Streams are what the team's subscription selects (a prefix ends in "*").
	Streams []string `json:"streams"`
	// PoisonRecords are the poison records of those streams; Delivered, how many of them a
	// rule of the inbox delivered.
	PoisonRecords int `json:"poisonRecords"`
	Delivered     int `json:"delivered"`
	// Events is how many events the inbox's targets got; Foreign, those of other streams
	// (which the inbox must never get).
	Events  int      `json:"events"`
	Foreign []string `json:"foreign"`
	OK      bool     `json:"ok"`
}

// checkInboxes checks each team inbox against the poison records' deliveries and what its
// rules' targets got: every poison record of the team's streams reached the inbox and a
// target there, and nothing of another stream did.
func checkInboxes(t *Tracer, inboxes []localcloud.TeamInbox, poison []Outcome) []InboxCheck {
	out := []InboxCheck{}
	for _, in := range inboxes {
		c := InboxCheck{Team: in.Team, Account: in.Account, Bus: in.Bus.Physical, Streams: []string{}, Foreign: []string{}}
		for _, s := range in.Streams {
			if s.Prefix {
				c.Streams = append(c.Streams, s.ARN+"*")
			} else {
				c.Streams = append(c.Streams, s.ARN)
			}
		}
		for _, o := range poison {
			if !in.Selects(o.StreamARN) {
				continue
			}
			c.PoisonRecords++
			if slices.ContainsFunc(o.Deliveries, func(d Delivery) bool { return d.Bus == c.Bus && d.Delivered }) {
				c.Delivered++
			}
		}
		for _, tg := range t.Targets {
			if tg.Bus != c.Bus {
				continue
			}
			for _, ev := range t.Seen(tg) {
				c.Events++
				if !in.Selects(ev.StreamARN) {
					c.Foreign = append(c.Foreign, fmt.Sprintf("event %s of stream %s at %s %s", ev.ID, orDash(ev.StreamARN), tg.Kind, tg.Where))
				}
			}
		}
		sort.Strings(c.Foreign)
		c.OK = len(c.Foreign) == 0 && c.Delivered == c.PoisonRecords
		out = append(out, c)
	}
	return out
}

// Run puts the records, waits for the poison ones to arrive everywhere the rules promise
// (or the timeout) and reports. An error means the scenario could not run; a failed
// verdict is a Report with OK false.
func Run(ctx context.Context, c *localcloud.Cloud, opts Options) (*Report, error) {
	opts.defaults()
	if opts.Redrive && opts.ConsumerLog == nil {
		return nil, fmt.Errorf("the redrive act reads the consumers' log: Options.ConsumerLog is not set")
	}
	start := time.Now()
	tracer, err := NewTracer(ctx, c)
	if err != nil {
		return nil, err
	}
	var teamQs []Target
	if opts.Redrive {
		// The team queues' messages stay there for the second act to redrive.
		teamQs = teamQueues(c, tracer)
		var urls []string
		for _, q := range teamQs {
			urls = append(urls, q.queueURL)
		}
		tracer.Keep(opts.Timeout+5*time.Minute, urls...)
	}
	records, err := Put(ctx, c, opts)
	if err != nil {
		return nil, err
	}
	if len(records) == 0 {
		return nil, fmt.Errorf("the stack has no Kinesis stream or DynamoDB table read by an event source mapping: nothing to demonstrate")
	}
	var poison, good []Record
	for _, r := range records {
		if r.Poison {
			poison = append(poison, r)
		} else {
			good = append(good, r)
		}
	}
	fmt.Fprintf(opts.Progress, "put %d records (%d poison); waiting for retries, bisection, failure destinations, hydration and routing\n", len(records), len(poison))
	deadline := time.Now().Add(opts.Timeout)
	lastProgress := time.Time{}
	var rep *Report
	for {
		if err := tracer.Poll(ctx); err != nil {
			return nil, err
		}
		rep, err = evaluate(ctx, tracer, poison, good, opts.Inboxes)
		if err != nil {
			return nil, err
		}
		if rep.settled() || time.Now().After(deadline) {
			break
		}
		if time.Since(lastProgress) >= time.Second {
			lastProgress = time.Now()
			hydrated, delivered, promised := rep.progress()
			var inv, partial, discarded int64
			for _, st := range c.MappingStats() {
				if st.Kind != esm.SourceSQS {
					inv, partial, discarded = inv+st.Invocations, partial+st.PartialResponses+st.FunctionErrors, discarded+st.BatchesDiscarded
				}
			}
			fmt.Fprintf(opts.Progress, "  %4.0fs  consumers: %d invocations, %d failed or partial, %d batches discarded; %d/%d poison records hydrated, %d/%d promised deliveries seen\n",
				time.Since(start).Seconds(), inv, partial, discarded, hydrated, len(poison), delivered, promised)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(opts.PollInterval):
		}
	}
	if rep.OK && opts.Redrive {
		progress := func(format string, args ...any) { fmt.Fprintf(opts.Progress, format+"\n", args...) }
		// Event times are in whole seconds: the run's events are those from its start's second.
		act, err := secondAct(ctx, c, tracer, teamQs, rep.Poison, opts.ConsumerLog, start.Truncate(time.Second), progress)
		if err != nil {
			return nil, err
		}
		rep.Redrive = act
		rep.OK = act.OK
	}
	rep.Elapsed = time.Since(start).Round(10 * time.Millisecond).Seconds()
	rep.Mappings = c.MappingStats()
	rep.verdict(opts.Timeout)
	return rep, nil
}

// settled reports whether nothing more is to come: every poison record hydrated, and each
// promised delivery seen at its target or in the target's dead-letter queue.
func (r *Report) settled() bool {
	if len(r.GoodLeaked) > 0 || len(r.Misrouted) > 0 {
		return true
	}
	for _, in := range r.Inboxes {
		if len(in.Foreign) > 0 {
			return true
		}
	}
	for _, o := range r.Poison {
		if o.EventID == "" {
			return false
		}
		for _, d := range o.Deliveries {
			if d.Observable && !d.Delivered && !d.DeadLettered {
				return false
			}
		}
	}
	return true
}

func (r *Report) progress() (hydrated, delivered, promised int) {
	for _, o := range r.Poison {
		if o.EventID != "" {
			hydrated++
		}
		for _, d := range o.Deliveries {
			promised++
			if d.Delivered {
				delivered++
			}
		}
	}
	return
}

func (r *Report) verdict(timeout time.Duration) {
	hydrated, delivered, promised := r.progress()
	var inboxes []string
	var badInbox *InboxCheck
	for i, in := range r.Inboxes {
		inboxes = append(inboxes, fmt.Sprintf("the inbox of team %s in account %s", in.Team, in.Account))
		if !in.OK && badInbox == nil {
			badInbox = &r.Inboxes[i]
		}
	}
	among := ""
	if len(inboxes) > 0 {
		among = " (among them " + strings.Join(inboxes, ", ") + ", which got no other stream's records)"
	}
	switch {
	case r.OK && r.Redrive != nil:
		r.Verdict = fmt.Sprintf("PASS: %d poison records isolated, hydrated, delivered to all %d promised destinations%s and, once the consumers were fixed, redriven and processed exactly once, in order, with the payload they failed on; none of the %d good records was hydrated (%.1fs)",
			len(r.Poison), promised, among, r.GoodRecords, r.Elapsed)
	case r.OK:
		r.Verdict = fmt.Sprintf("PASS: %d poison records isolated, hydrated and delivered to all %d promised destinations%s; none of the %d good records was hydrated (%.1fs)",
			len(r.Poison), promised, among, r.GoodRecords, r.Elapsed)
	case r.Redrive != nil && !r.Redrive.OK:
		first := "no poison record was processed"
		if len(r.Redrive.Problems) > 0 {
			first = r.Redrive.Problems[0]
		}
		r.Verdict = fmt.Sprintf("FAIL: the poison records were delivered, but the redrive to the fixed consumers fell short (%d problems): %s", len(r.Redrive.Problems), first)
	case len(r.GoodLeaked) > 0:
		r.Verdict = fmt.Sprintf("FAIL: %d good records were hydrated as if they had failed (%s)", len(r.GoodLeaked), strings.Join(r.GoodLeaked, ", "))
	case len(r.Misrouted) > 0:
		r.Verdict = fmt.Sprintf("FAIL: %d events reached a target whose rule does not match them", len(r.Misrouted))
	case badInbox != nil && len(badInbox.Foreign) > 0:
		r.Verdict = fmt.Sprintf("FAIL: the inbox of team %s in account %s got %d events of streams the team does not subscribe to", badInbox.Team, badInbox.Account, len(badInbox.Foreign))
	case badInbox != nil && r.settled():
		r.Verdict = fmt.Sprintf("FAIL: the inbox of team %s in account %s got %d of the %d poison records of the team's streams", badInbox.Team, badInbox.Account, badInbox.Delivered, badInbox.PoisonRecords)
	case r.settled():
		r.Verdict = fmt.Sprintf("FAIL: %d/%d promised deliveries made; the others are in their targets' dead-letter queues", delivered, promised)
	default:
		r.Verdict = fmt.Sprintf("FAIL after %s: %d/%d poison records hydrated, %d/%d promised deliveries seen", timeout, hydrated, len(r.Poison), delivered, promised)
	}
}

// evaluate checks every poison record against what the tracer has seen.
func evaluate(ctx context.Context, t *Tracer, poison, good []Record, inboxes []localcloud.TeamInbox) (*Report, error) {
	rep := &Report{GoodRecords: len(good), OK: true, GoodLeaked: []string{}, Misrouted: []string{}}
	for _, r := range poison {
		o := Outcome{Record: r}
		evs := t.Events(func(ev Event) bool { return r.matches(ev) })
		switch {
		case len(evs) == 0:
			o.Problem = "not hydrated yet: no event on any destination"
		case len(evs) > 1:
			// At-least-once delivery may hydrate a record twice; the first event stands for it.
			fallthrough
		default:
			ev := evs[0]
			o.EventID, o.FailureDestination, o.Payload, o.FailureBatchSize = ev.ID, ev.FailureDestination, ev.Payload, ev.FailureBatchSize
			if o.Sequence == "" { // a DynamoDB record's sequence number is known once hydrated
				o.Sequence = ev.Sequence
			}
			promised, err := t.Promised(ctx, ev)
			if err != nil {
				return nil, err
			}
			sightings := t.Sightings(ev.ID)
			for _, tg := range promised {
				d := Delivery{Rule: tg.Rule, Target: tg.ARN, Kind: tg.Kind, Where: tg.Where, Observable: tg.Observable()}
				if !t.entryBus(tg.Bus) {
					d.Bus = tg.Bus
				}
				if !d.Observable && tg.next == "" {
					d.Note = "delivery not observable locally"
				}
				for _, s := range sightings {
					if s.Target.ARN != tg.ARN || s.Target.Rule != tg.Rule {
						continue
					}
					if s.DeadLettered {
						d.DeadLettered, d.Where, d.Note = true, s.Where, "dead-lettered"
						continue
					}
					d.Delivered, d.Where = true, s.Where
					break
				}
				o.Deliveries = append(o.Deliveries, d)
			}
			forwarded(promised, o.Deliveries)
			if len(promised) == 0 {
				o.Problem = "no rule matches its event"
			}
		}
		o.OK = o.Problem == ""
		for _, d := range o.Deliveries {
			// A target the tracer cannot see counts unless its dead-letter queue got the event.
			o.OK = o.OK && (d.Delivered || (!d.Observable && !d.DeadLettered))
		}
		rep.OK = rep.OK && o.OK
		rep.Poison = append(rep.Poison, o)
	}
	for _, r := range good {
		if len(t.Events(func(ev Event) bool { return r.matches(ev) })) > 0 {
			rep.GoodLeaked = append(rep.GoodLeaked, r.Key)
		}
	}
	sort.Strings(rep.GoodLeaked)
	if len(rep.GoodLeaked) > 0 {
		rep.OK = false
	}
	for _, tg := range t.Targets {
		sum := TargetSummary{Rule: tg.Rule, Target: tg.ARN, Kind: tg.Kind, Streams: []string{}}
		streams := map[string]bool{}
		for _, ev := range t.Seen(tg) {
			sum.Events++
			if ev.StreamARN != "" && !streams[ev.StreamARN] {
				streams[ev.StreamARN] = true
				sum.Streams = append(sum.Streams, ev.StreamARN)
			}
			if strings.HasPrefix(ev.ID, "raw:") {
				continue // an input transformer's output: no event to test the rule with
			}
			promised, err := t.Promised(ctx, ev)
			if err != nil {
				return nil, err
			}
			ok := false
			for _, p := range promised {
				ok = ok || (p.Rule == tg.Rule && p.ARN == tg.ARN)
			}
			if !ok {
				rep.Misrouted = append(rep.Misrouted, fmt.Sprintf("event %s (stream %s) at %s %s of rule %s", ev.ID, ev.StreamARN, tg.Kind, tg.Where, tg.Rule))
			}
		}
		sort.Strings(sum.Streams)
		rep.Targets = append(rep.Targets, sum)
	}
	if len(rep.Misrouted) > 0 {
		rep.OK = false
	}
	rep.Inboxes = checkInboxes(t, inboxes, rep.Poison)
	for _, in := range rep.Inboxes {
		rep.OK = rep.OK && in.OK
	}
	return rep, nil
}

// forwarded fills in the deliveries to another bus from what that bus's rules delivered: the
// event reached the bus if a target of a rule there got it. Such a delivery is observable when
// a rule of that bus promises an observable target; otherwise it is unknown, and noted so.
// deliveries[i] is promised[i]'s; a bus's targets come after those of the bus forwarding to it,
// so going backwards fills in a chain of buses.
func forwarded(promised []Target, deliveries []Delivery) {
	for i := len(promised) - 1; i >= 0; i-- {
		tg := promised[i]
		if tg.next == "" {
			continue
		}
		d := &deliveries[i]
		for j, after := range promised {
			if after.Bus != tg.next {
				continue
			}
			d.Observable = d.Observable || deliveries[j].Observable
			d.Delivered = d.Delivered || deliveries[j].Delivered
		}
		if !d.Observable {
			d.Note = "no rule of bus " + tg.next + " delivers it anywhere observable"
		}
	}
}

// Put writes the good and poison records on every stream and table a mapping reads.
func Put(ctx context.Context, c *localcloud.Cloud, opts Options) ([]Record, error) {
	opts.defaults()
	e := c.Endpoints()
	kin, ddb := e.KinesisClient(), e.DynamoDBClient()
	var out []Record
	seen := map[string]bool{}
	for _, m := range c.Mappings() {
		src := m.Config.EventSourceARN
		if seen[src] {
			continue
		}
		seen[src] = true
		a, err := arn.Parse(src)
		if err != nil {
			continue
		}
		switch a.Service {
		case "kinesis":
			recs, err := putKinesis(ctx, kin, src, opts)
			if err != nil {
				return nil, err
			}
			out = append(out, recs...)
		case "dynamodb":
			table, _, _ := strings.Cut(strings.TrimPrefix(a.Resource, "table/"), "/stream/")
			recs, err := putDynamoDB(ctx, ddb, table, src, opts)
			if err != nil {
				return nil, err
			}
			out = append(out, recs...)
		}
	}
	return out, nil
}

// poisonAt spreads the poison records through the batch (never all at one end), so that
// bisection has work to do.
func poisonAt(i, good, poison int) bool {
	n := good + poison
	for p := 0; p < poison; p++ {
		if i == (p+1)*n/(poison+1) {
			return true
		}
	}
	return false
}

func putKinesis(ctx context.Context, kin *kinesis.Client, streamARN string, opts Options) ([]Record, error) {
	n := opts.KinesisGood + opts.KinesisPoison
	var out []Record
	var entries []kintypes.PutRecordsRequestEntry
	for i := range n {
		poison := poisonAt(i, opts.KinesisGood, opts.KinesisPoison)
		key := fmt.Sprintf("order-%s-%03d", opts.RunID, i)
		data, _ := json.Marshal(map[string]any{"orderId": key, "amount": 10 + i, "poison": poison})
		out = append(out, Record{Source: "kinesis", StreamARN: streamARN, Key: key, Poison: poison, Data: data})
		entries = append(entries, kintypes.PutRecordsRequestEntry{Data: data, PartitionKey: aws.String(key)})
	}
	// One PutRecords call keeps the records in one shard's order within the batch size.
	for off := 0; off < len(entries); off += 500 {
		end := min(off+500, len(entries))
		res, err := kin.PutRecords(ctx, &kinesis.PutRecordsInput{StreamARN: aws.String(streamARN), Records: entries[off:end]})
		if err != nil {
			return nil, fmt.Errorf("put records on %s: %w", streamARN, err)
		}
		if res.FailedRecordCount != nil && *res.FailedRecordCount > 0 {
			return nil, fmt.Errorf("put records on %s: %d failed", streamARN, *res.FailedRecordCount)
		}
		for i, r := range res.Records {
			out[off+i].Sequence = aws.ToString(r.SequenceNumber)
		}
	}
	return out, nil
}

func putDynamoDB(ctx context.Context, ddb *dynamodb.Client, table, streamARN string, opts Options) ([]Record, error) {
	n := opts.DynamoDBGood + opts.DynamoDBPoison
	var out []Record
	for i := range n {
		poison := poisonAt(i, opts.DynamoDBGood, opts.DynamoDBPoison)
		id := fmt.Sprintf("user-%s-%03d", opts.RunID, i)
		name := fmt.Sprintf("User %d", i)
		item := map[string]ddbtypes.AttributeValue{
			"id":     &ddbtypes.AttributeValueMemberS{Value: id},
			"name":   &ddbtypes.AttributeValueMemberS{Value: name},
			"poison": &ddbtypes.AttributeValueMemberBOOL{Value: poison},
		}
		if _, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
			return nil, fmt.Errorf("put item %s in %s: %w", id, table, err)
		}
		data, _ := json.Marshal(map[string]any{"id": id, "name": name, "poison": poison})
		out = append(out, Record{Source: "dynamodb", StreamARN: streamARN, Key: id, Poison: poison, Data: data})
	}
	return out, nil
}
