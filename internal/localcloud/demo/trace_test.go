package demo

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/internal/eventpattern"
	"github.com/hydrant-dev/hydrant/internal/localcloud"
)

const (
	ordersStream = "arn:aws:kinesis:us-east-1:000000000000:stream/orders"
	usersStream  = "arn:aws:kinesis:us-east-1:000000000000:stream/users"
	inboxArn     = "arn:aws:events:us-east-1:222233334444:event-bus/payments-inbox"
)

// inboxTracer is a tracer over Hydrant's bus and a team inbox, without a cloud: the central
// bus has a catch-all rule, the users team's rule, and the payments team's rule (paymentsPattern)
// forwarding to its inbox; the inbox has one rule matching every event, to a queue. A third bus
// that no rule forwards to has a rule matching every event too: no event of Hydrant reaches it.
func inboxTracer(t *testing.T, paymentsPattern string) *Tracer {
	t.Helper()
	tr := &Tracer{events: map[string]Event{}, seen: map[string][]Sighting{}, objects: map[string]bool{},
		rules: map[string]*eventpattern.Set{}, keep: map[string]bool{}, held: map[string]map[string]string{},
		entry: []string{"hydrant-bus"}}
	all := `{"source":["hydrant"]}`
	for _, r := range []struct{ bus, rule, pattern, kind, arn, next string }{
		{"hydrant-bus", "catch-all", all, "sqs", "arn:aws:sqs:us-east-1:000000000000:catch-all", ""},
		{"hydrant-bus", "users-failures", fmt.Sprintf(`{"detail":{"streamArn":[%q]}}`, usersStream), "sqs", "arn:aws:sqs:us-east-1:000000000000:users", ""},
		{"hydrant-bus", "payments-orders", paymentsPattern, "eventbus", inboxArn, "payments-inbox"},
		{"payments-inbox", "payments-all", all, "sqs", "arn:aws:sqs:us-east-1:000000000000:payments-inbox-queue", ""},
		{"unreached", "everything", all, "sqs", "arn:aws:sqs:us-east-1:000000000000:unreached", ""},
	} {
		if tr.rules[r.bus] == nil {
			tr.rules[r.bus] = eventpattern.NewSet()
		}
		if err := tr.rules[r.bus].Add(r.rule, []byte(r.pattern)); err != nil {
			t.Fatal(err)
		}
		where := r.arn[strings.LastIndex(r.arn, ":")+1:]
		if r.kind == "eventbus" {
			where = r.arn
		}
		tr.Targets = append(tr.Targets, Target{Bus: r.bus, Rule: r.rule, Pattern: r.pattern, ID: "t", ARN: r.arn, Kind: r.kind, Where: where, next: r.next})
	}
	return tr
}

func event(id, stream, seq string) []byte {
	return fmt.Appendf(nil, `{"version":"0","id":%q,"detail-type":"RecordHydrated","source":"hydrant","account":"000000000000","time":"2026-12-07T00:00:00Z","region":"us-east-1","resources":[%q],"detail":{"streamArn":%q,"sequenceNumber":%q,"kinesis":{"dataJson":{"poison":true}}}}`,
		id, stream, stream, seq)
}

func (t *Tracer) target(rule string) Target {
	for _, tg := range t.Targets {
		if tg.Rule == rule {
			return tg
		}
	}
	panic("no target of rule " + rule)
}

func promisedRules(t *testing.T, tr *Tracer, raw []byte) []string {
	t.Helper()
	got, err := tr.Promised(context.Background(), parseEvent(raw))
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, tg := range got {
		rules = append(rules, tg.Bus+"/"+tg.Rule)
	}
	return rules
}

// Promised follows the event from Hydrant's bus through the rule forwarding it to the inbox, to
// the inbox's rules, and never to a bus nothing forwards to.
func TestPromisedFollowsBusToBus(t *testing.T) {
	tr := inboxTracer(t, fmt.Sprintf(`{"detail":{"streamArn":[%q]}}`, ordersStream))
	if got, want := strings.Join(promisedRules(t, tr, event("o", ordersStream, "1")), " "), "hydrant-bus/catch-all hydrant-bus/payments-orders payments-inbox/payments-all"; got != want {
		t.Errorf("orders event promised to %s, want %s", got, want)
	}
	if got, want := strings.Join(promisedRules(t, tr, event("u", usersStream, "2")), " "), "hydrant-bus/catch-all hydrant-bus/users-failures"; got != want {
		t.Errorf("users event promised to %s, want %s (the inbox's rule matches every event, but the event never reaches the inbox)", got, want)
	}
}

// The inbox check: each poison record of the team's streams reached a target of the inbox,
// and nothing of another stream did, whatever the central rule's pattern says.
func TestInboxCheck(t *testing.T) {
	orders := Record{Source: "kinesis", StreamARN: ordersStream, Key: "order-1", Sequence: "1", Poison: true}
	users := Record{Source: "kinesis", StreamARN: usersStream, Key: "user-2", Sequence: "2", Poison: true}
	inbox := localcloud.TeamInbox{Team: "payments", Account: "222233334444", InboxArn: inboxArn,
		Bus: localcloud.Resource{Physical: "payments-inbox"}, Streams: []localcloud.StreamSelector{{ARN: ordersStream}}}
	selectsOrders := fmt.Sprintf(`{"detail":{"streamArn":[%q]}}`, ordersStream)
	tests := []struct {
		name     string
		pattern  string   // the central rule forwarding to the inbox
		atInbox  []string // the events the inbox's queue got
		ok       bool
		verdict  string
		inboxSay string
	}{
		{"pass", selectsOrders, []string{"o"}, true, "PASS: 2 poison records isolated, hydrated and delivered to all 5 promised destinations (among them the inbox of team payments in account 222233334444, which got no other stream's records)",
			"ok      team payments, bus payments-inbox in account 222233334444: 1/1 poison records of its streams delivered; 1 events seen, 0 of another stream"},
		// A central rule selecting every stream: the rules promise the users record to the
		// inbox too, so only the inbox check sees that the team got another team's stream.
		{"another stream's record", `{"source":["hydrant"]}`, []string{"o", "u"}, false, "FAIL: the inbox of team payments in account 222233334444 got 1 events of streams the team does not subscribe to",
			"NOT ITS STREAM: event u of stream " + usersStream + " at sqs payments-inbox-queue"},
		// A central rule selecting nothing of the team's: no delivery is promised to the inbox,
		// and only the inbox check sees that the team's record never came.
		{"its record missing", fmt.Sprintf(`{"detail":{"streamArn":[%q]}}`, "arn:aws:kinesis:us-east-1:000000000000:stream/nobody"), nil, false, "FAIL: the inbox of team payments in account 222233334444 got 0 of the 1 poison records of the team's streams",
			"PROBLEM team payments, bus payments-inbox in account 222233334444: 0/1 poison records"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := inboxTracer(t, tt.pattern)
			raw := map[string][]byte{"o": event("o", ordersStream, "1"), "u": event("u", usersStream, "2")}
			for _, id := range []string{"o", "u"} {
				tr.add(raw[id], Sighting{Target: tr.target("catch-all"), Where: "sqs://catch-all"})
			}
			tr.add(raw["u"], Sighting{Target: tr.target("users-failures"), Where: "sqs://users"})
			for _, id := range tt.atInbox {
				tr.add(raw[id], Sighting{Target: tr.target("payments-all"), Where: "sqs://payments-inbox-queue"})
			}
			rep, err := evaluate(context.Background(), tr, []Record{orders, users}, nil, []localcloud.TeamInbox{inbox})
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK != tt.ok || !rep.settled() {
				t.Errorf("ok %v settled %v, want ok %v and settled; inboxes %+v misrouted %v", rep.OK, rep.settled(), tt.ok, rep.Inboxes, rep.Misrouted)
			}
			if len(rep.Misrouted) != 0 {
				t.Errorf("misrouted %v: the rules agree with every delivery here", rep.Misrouted)
			}
			rep.verdict(60e9)
			if !strings.HasPrefix(rep.Verdict, tt.verdict) {
				t.Errorf("verdict %q, want prefix %q", rep.Verdict, tt.verdict)
			}
			var b strings.Builder
			if err := rep.WriteText(&b); err != nil || !strings.Contains(b.String(), tt.inboxSay) {
				t.Errorf("text report (%v) lacks %q:\n%s", err, tt.inboxSay, b.String())
			}
			if tt.ok {
				// The forwarding rule's delivery is shown delivered: the inbox's rule delivered it.
				o := rep.Poison[0]
				if len(o.Deliveries) != 3 || o.Deliveries[1].Kind != "eventbus" || !o.Deliveries[1].Delivered || o.Deliveries[2].Bus != "payments-inbox" || !o.Deliveries[2].Delivered {
					t.Errorf("orders record deliveries %+v", o.Deliveries)
				}
				if !strings.Contains(b.String(), "ok      rule payments-all on bus payments-inbox → sqs sqs://payments-inbox-queue") {
					t.Errorf("text report does not show the inbox's delivery:\n%s", b.String())
				}
			}
		})
	}
}
