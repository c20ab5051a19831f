package demo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hydrant-dev/hydrant/internal/backoff"
	"github.com/hydrant-dev/hydrant/internal/eventpattern"
	"github.com/hydrant-dev/hydrant/internal/localcloud"
	"github.com/hydrant-dev/hydrant/internal/targetkind"
)

// Target is one target of one rule on a bus of the deployment.
type Target struct {
	Bus, Rule, Pattern string
	ID, ARN            string
	// Kind is "sqs" or "firehose" for the targets the tracer watches, "eventbus" for another event
	// bus (whose rules the tracer follows); others are listed and reported as not observable.
	Kind string
	// Where names the destination: the queue name, s3://bucket/prefix, or the target's ARN.
	Where    string
	queueURL string
	stream   localcloud.DeliveryStream
	// next is the bus a bus target forwards to, when it is on the local endpoint: the
	// physical name of the bus whose rules then see the event.
	next string
	// DLQ is the target's dead-letter queue (name), watched too; dlqURL its URL.
	DLQ    string
	dlqURL string
}

// Observable reports whether the tracer can see what reaches the target.
func (t Target) Observable() bool { return t.Kind == "sqs" || t.Kind == "firehose" }

// QueueURL is the URL of an SQS target's queue; "" for other kinds.
func (t Target) QueueURL() string { return t.queueURL }

// Event is a Hydrant event seen at a destination.
type Event struct {
	Raw        json.RawMessage
	ID         string
	DetailType string
	StreamARN  string
	Sequence   string
	Keys       map[string]any
	Payload    json.RawMessage
	// From detail.failure: the destination kind and the discarded batch the record was in.
	FailureDestination string
	FailureBatchSize   int
	FailureStart       string
	FailureEnd         string
}

// Sighting is where an event was seen: a target, and the queue or S3 object.
type Sighting struct {
	Target Target
	Where  string // sqs://queue or s3://bucket/key
	// DeadLettered: seen in the target's dead-letter queue, not at the target.
	DeadLettered bool
}

// Tracer follows Hydrant events through the deployment's rules: it lists every rule and
// target of every bus and reads what reaches the SQS and Firehose targets.
type Tracer struct {
	eb  *eventbridge.Client
	sqs *sqs.Client
	s3  *s3.Client

	Targets []Target

	mu      sync.Mutex
	events  map[string]Event      // by event id
	seen    map[string][]Sighting // by event id
	objects map[string]bool       // S3 keys already read
	// rules holds, per bus, every rule's pattern under the rule's name: the promised
	// destinations of an event are found with one match per bus it reaches.
	rules map[string]*eventpattern.Set
	// entry are the buses Hydrant publishes on: the central stack's (a team's own stack's
	// bus is reached only through a rule that targets it).
	entry []string
	// keep: queues (by URL) whose messages are read but left in the queue, reserved for
	// keepFor, for the second act to redrive; held: their receipt handles by message id.
	keep    map[string]bool
	keepFor time.Duration
	held    map[string]map[string]string
}

// Keep makes Poll leave the messages of these queues in place (received, so reserved for d,
// not deleted) instead of deleting them; Release hands them back.
func (t *Tracer) Keep(d time.Duration, queueURLs ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.keepFor = d
	for _, u := range queueURLs {
		t.keep[u] = true
	}
}

// Release makes the kept messages visible again, for a redrive to receive.
func (t *Tracer) Release(ctx context.Context) error {
	t.mu.Lock()
	held := t.held
	t.held = map[string]map[string]string{}
	t.mu.Unlock()
	var errs []error
	for url, handles := range held {
		for id, h := range handles {
			if _, err := t.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(h), VisibilityTimeout: 0}); err != nil {
				errs = append(errs, fmt.Errorf("release message %s to %s: %w", id, url, err))
			}
		}
	}
	return errors.Join(errs...)
}

// NewTracer discovers the rules and targets of the cloud's buses.
func NewTracer(ctx context.Context, c *localcloud.Cloud) (*Tracer, error) {
	e := c.Endpoints()
	t := &Tracer{eb: e.EventBridgeClient(), sqs: e.SQSClient(), s3: e.S3Client(),
		events: map[string]Event{}, seen: map[string][]Sighting{}, objects: map[string]bool{}, rules: map[string]*eventpattern.Set{},
		keep: map[string]bool{}, held: map[string]map[string]string{}}
	streams := map[string]localcloud.DeliveryStream{}
	for _, d := range c.DeliveryStreams() {
		streams[d.ARN] = d
	}
	buses := c.OfType("aws:cloudwatch/eventBus:EventBus")
	local := map[string]bool{}
	for _, b := range buses {
		local[b.Physical] = true
		if b.Team == "" {
			t.entry = append(t.entry, b.Physical)
		}
	}
	for _, b := range buses {
		rules, err := t.eb.ListRules(ctx, &eventbridge.ListRulesInput{EventBusName: aws.String(b.Physical)})
		if err != nil {
			return nil, fmt.Errorf("list rules of %s: %w", b.Physical, err)
		}
		set := eventpattern.NewSet()
		t.rules[b.Physical] = set
		for _, r := range rules.Rules {
			if p := aws.ToString(r.EventPattern); p != "" {
				if err := set.Add(aws.ToString(r.Name), []byte(p)); err != nil {
					return nil, fmt.Errorf("pattern of rule %s on %s: %w", aws.ToString(r.Name), b.Physical, err)
				}
			}
			targets, err := t.eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: r.Name, EventBusName: aws.String(b.Physical)})
			if err != nil {
				return nil, fmt.Errorf("list targets of %s: %w", aws.ToString(r.Name), err)
			}
			for _, tg := range targets.Targets {
				x := Target{Bus: b.Physical, Rule: aws.ToString(r.Name), Pattern: aws.ToString(r.EventPattern), ID: aws.ToString(tg.Id), ARN: aws.ToString(tg.Arn)}
				a, aerr := arn.Parse(x.ARN)
				switch {
				case aerr == nil && a.Service == "sqs":
					x.Kind, x.Where = "sqs", a.Resource
					u, err := t.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(a.Resource)})
					if err != nil {
						return nil, fmt.Errorf("target queue %s: %w", x.ARN, err)
					}
					x.queueURL = aws.ToString(u.QueueUrl)
				case aerr == nil && isBus(x.ARN):
					// Locally every account's bus is on the one endpoint, found by name as
					// the endpoint's bus target finds it.
					x.Kind, x.Where = string(targetkind.EventBus), x.ARN
					if _, name, _ := targetkind.Parse(x.ARN); local[name] {
						x.next = name
					}
				case aerr == nil && a.Service == "firehose":
					d, ok := streams[x.ARN]
					if !ok {
						return nil, fmt.Errorf("target %s: no such delivery stream", x.ARN)
					}
					x.Kind, x.Where, x.stream = "firehose", "s3://"+d.Bucket+"/"+d.Prefix, d
				case aerr == nil:
					x.Kind, x.Where = a.Service, x.ARN
				}
				if dl := tg.DeadLetterConfig; dl != nil && aws.ToString(dl.Arn) != "" {
					if q, err := arn.Parse(aws.ToString(dl.Arn)); err == nil {
						u, err := t.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(q.Resource)})
						if err != nil {
							return nil, fmt.Errorf("dead-letter queue %s of target %s: %w", aws.ToString(dl.Arn), x.ID, err)
						}
						x.DLQ, x.dlqURL = q.Resource, aws.ToString(u.QueueUrl)
					}
				}
				t.Targets = append(t.Targets, x)
			}
		}
	}
	sort.Slice(t.Targets, func(i, j int) bool { return t.Targets[i].Rule+t.Targets[i].ID < t.Targets[j].Rule+t.Targets[j].ID })
	return t, nil
}

// Poll reads what has reached the observable targets since the last poll (SQS messages are
// received and deleted; new S3 objects are read).
func (t *Tracer) Poll(ctx context.Context) error {
	for _, tg := range t.Targets {
		if tg.dlqURL != "" {
			if err := t.drainQueue(ctx, tg, tg.dlqURL, tg.DLQ, true); err != nil {
				return err
			}
		}
		switch tg.Kind {
		case "sqs":
			if err := t.drainQueue(ctx, tg, tg.queueURL, tg.Where, false); err != nil {
				return err
			}
		case "firehose":
			if err := t.scanBucket(ctx, tg); err != nil {
				return err
			}
		}
	}
	return nil
}

// receive is ReceiveMessage, tried again a few times: goaws, loaded by test binaries running
// beside the demo, now and then answers a receive with a truncated body (a 200 the SDK cannot
// deserialize), and the watch should not end on one such answer.
func (t *Tracer) receive(ctx context.Context, in *sqs.ReceiveMessageInput) (*sqs.ReceiveMessageOutput, error) {
	pause := backoff.Exponential{Base: 100 * time.Millisecond, Max: time.Second}
	for attempt := 1; ; attempt++ {
		out, err := t.sqs.ReceiveMessage(ctx, in)
		if err == nil || attempt == 4 || ctx.Err() != nil {
			return out, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause.Delay(attempt)):
		}
	}
}

func (t *Tracer) drainQueue(ctx context.Context, tg Target, url, name string, dlq bool) error {
	t.mu.Lock()
	keep, keepFor := t.keep[url], t.keepFor
	t.mu.Unlock()
	for {
		in := &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10}
		if keep {
			in.VisibilityTimeout = int32(keepFor / time.Second)
		}
		out, err := t.receive(ctx, in)
		if err != nil {
			return fmt.Errorf("receive from %s: %w", name, err)
		}
		if len(out.Messages) == 0 {
			return nil
		}
		if keep {
			t.mu.Lock()
			if t.held[url] == nil {
				t.held[url] = map[string]string{}
			}
			for _, m := range out.Messages {
				t.held[url][aws.ToString(m.MessageId)] = aws.ToString(m.ReceiptHandle)
			}
			t.mu.Unlock()
			for _, m := range out.Messages {
				t.add([]byte(aws.ToString(m.Body)), Sighting{Target: tg, Where: "sqs://" + name, DeadLettered: dlq})
			}
			continue
		}
		var del []sqstypes.DeleteMessageBatchRequestEntry
		for i, m := range out.Messages {
			t.add([]byte(aws.ToString(m.Body)), Sighting{Target: tg, Where: "sqs://" + name, DeadLettered: dlq})
			del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
		}
		for _, d := range del {
			if _, err := t.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: d.ReceiptHandle}); err != nil {
				return fmt.Errorf("delete from %s: %w", name, err)
			}
		}
	}
}

func (t *Tracer) scanBucket(ctx context.Context, tg Target) error {
	p := s3.NewListObjectsV2Paginator(t.s3, &s3.ListObjectsV2Input{Bucket: aws.String(tg.stream.Bucket), Prefix: aws.String(tg.stream.Prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", tg.stream.Bucket, tg.stream.Prefix, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			t.mu.Lock()
			done := t.objects[key]
			t.mu.Unlock()
			if done {
				continue
			}
			obj, err := t.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(tg.stream.Bucket), Key: aws.String(key)})
			if err != nil {
				return fmt.Errorf("get s3://%s/%s: %w", tg.stream.Bucket, key, err)
			}
			body, err := io.ReadAll(obj.Body)
			obj.Body.Close()
			if err != nil {
				return fmt.Errorf("read s3://%s/%s: %w", tg.stream.Bucket, key, err)
			}
			sc := bufio.NewScanner(bytes.NewReader(body))
			sc.Buffer(make([]byte, 0, 64<<10), 2<<20)
			for sc.Scan() {
				if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
					t.add(bytes.Clone(line), Sighting{Target: tg, Where: "s3://" + tg.stream.Bucket + "/" + key})
				}
			}
			t.mu.Lock()
			t.objects[key] = true
			t.mu.Unlock()
		}
	}
	return nil
}

// add records an event seen at a target; a body that is not a Hydrant event (an input
// transformer's output) is kept under its own text.
func (t *Tracer) add(body []byte, s Sighting) {
	ev := parseEvent(body)
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.events[ev.ID]; !ok {
		t.events[ev.ID] = ev
	}
	t.seen[ev.ID] = append(t.seen[ev.ID], s)
}

func parseEvent(body []byte) Event {
	var env struct {
		ID         string `json:"id"`
		DetailType string `json:"detail-type"`
		Detail     struct {
			StreamARN string `json:"streamArn"`
			Sequence  string `json:"sequenceNumber"`
			Failure   struct {
				Destination string `json:"destination"`
				BatchSize   int    `json:"batchSize"`
				Start       string `json:"startSequenceNumber"`
				End         string `json:"endSequenceNumber"`
			} `json:"failure"`
			Kinesis *struct {
				Data     []byte          `json:"data"`
				DataJSON json.RawMessage `json:"dataJson"`
			} `json:"kinesis"`
			DynamoDB *struct {
				Keys     map[string]any  `json:"keys"`
				NewImage json.RawMessage `json:"newImage"`
			} `json:"dynamodb"`
		} `json:"detail"`
	}
	ev := Event{Raw: json.RawMessage(body)}
	if err := json.Unmarshal(body, &env); err != nil || env.ID == "" {
		ev.ID = "raw:" + string(body)
		return ev
	}
	ev.ID, ev.DetailType, ev.StreamARN, ev.Sequence = env.ID, env.DetailType, env.Detail.StreamARN, env.Detail.Sequence
	f := env.Detail.Failure
	ev.FailureDestination, ev.FailureBatchSize, ev.FailureStart, ev.FailureEnd = f.Destination, f.BatchSize, f.Start, f.End
	if k := env.Detail.Kinesis; k != nil {
		if len(k.DataJSON) > 0 {
			ev.Payload = k.DataJSON
		} else {
			ev.Payload, _ = json.Marshal(string(k.Data))
		}
	}
	if d := env.Detail.DynamoDB; d != nil {
		ev.Keys, ev.Payload = d.Keys, d.NewImage
	}
	return ev
}

// Events returns the events seen so far that satisfy match.
func (t *Tracer) Events(match func(Event) bool) []Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Event
	for _, ev := range t.events {
		if match(ev) {
			out = append(out, ev)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Sightings returns where the event was seen.
func (t *Tracer) Sightings(eventID string) []Sighting {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Sighting(nil), t.seen[eventID]...)
}

// Seen returns every event seen at (or dead-lettered from) a target.
func (t *Tracer) Seen(tg Target) []Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Event
	for id, ss := range t.seen {
		for _, s := range ss {
			if s.Target.ARN == tg.ARN && s.Target.Rule == tg.Rule && s.Target.ID == tg.ID {
				out = append(out, t.events[id])
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Promised returns the targets of the rules whose pattern matches the event, on the buses
// the event reaches: Hydrant's, then each bus a matching rule forwards it to (a team's inbox),
// whose rules see the same event (EventBridge forwards it unchanged). A bus's targets come
// before those of the buses it forwards to.
func (t *Tracer) Promised(_ context.Context, ev Event) ([]Target, error) {
	var out []Target
	reached := map[string]bool{}
	next := append([]string(nil), t.entry...)
	for len(next) > 0 {
		bus := next[0]
		next = next[1:]
		if reached[bus] {
			continue
		}
		reached[bus] = true
		set, ok := t.rules[bus]
		if !ok {
			continue
		}
		names, err := set.MatchJSON(ev.Raw)
		if err != nil {
			return nil, fmt.Errorf("match event %s against the rules of %s: %w", ev.ID, bus, err)
		}
		matched := map[string]bool{}
		for _, n := range names {
			matched[n] = true
		}
		for _, tg := range t.Targets {
			if tg.Bus == bus && matched[tg.Rule] {
				out = append(out, tg)
				if tg.next != "" {
					next = append(next, tg.next)
				}
			}
		}
	}
	return out, nil
}

// isBus reports whether a target ARN is an event bus's.
func isBus(target string) bool {
	k, _, err := targetkind.Parse(target)
	return err == nil && k == targetkind.EventBus
}

// entryBus reports whether Hydrant publishes on the bus (rather than a rule forwarding to it).
func (t *Tracer) entryBus(bus string) bool { return slices.Contains(t.entry, bus) }
