//go:build integration

package eventbus_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hydrant-dev/hydrant/internal/localcloud/eventbus"
	"github.com/hydrant-dev/hydrant/internal/localcloud/firehose"
)

// closedPort returns an address nothing listens on: a target that cannot be reached.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func (h *harness) apiDestination(name, endpoint string) string {
	h.t.Helper()
	conn, err := h.eb.CreateConnection(h.ctx(), &eventbridge.CreateConnectionInput{
		Name: aws.String(h.name(name)), AuthorizationType: ebtypes.ConnectionAuthorizationTypeApiKey,
		AuthParameters: &ebtypes.CreateConnectionAuthRequestParameters{ApiKeyAuthParameters: &ebtypes.CreateConnectionApiKeyAuthRequestParameters{
			ApiKeyName: aws.String("X-Api-Key"), ApiKeyValue: aws.String("local-secret")}},
	})
	if err != nil {
		h.t.Fatalf("create connection: %v", err)
	}
	d, err := h.eb.CreateApiDestination(h.ctx(), &eventbridge.CreateApiDestinationInput{
		Name: aws.String(h.name(name)), ConnectionArn: conn.ConnectionArn, InvocationEndpoint: aws.String(endpoint), HttpMethod: ebtypes.ApiDestinationHttpMethodPost,
	})
	if err != nil {
		h.t.Fatalf("create API destination: %v", err)
	}
	return aws.ToString(d.ApiDestinationArn)
}

// The second acceptance case, and the other ways a delivery ends in the DLQ.
func TestFailedDeliveryEndsInDeadLetterQueue(t *testing.T) {
	h := newHarness(t)
	bus, _ := h.bus("dlq")
	dlqURL, dlqARN := h.queue("dlq", nil)
	unreachable := h.apiDestination("down", "http://"+closedPort(t)+"/events")
	flaky := &capture{fail: 2}
	flakyARN := h.function("flaky", flaky)
	failing := &capture{fail: 1 << 30}
	failingARN := h.function("failing", failing)
	missingQueue := "arn:aws:sqs:us-east-1:000000000000:" + h.name("no-such-queue")
	missingTopic := "arn:aws:sns:us-east-1:000000000000:" + h.name("no-such-topic")

	ruleArn := h.rule(bus, "r", `{"source":["app"]}`)
	h.targets(bus, "r",
		ebtypes.Target{Id: aws.String("unreachable"), Arn: aws.String(unreachable),
			RetryPolicy:      &ebtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(3), MaximumEventAgeInSeconds: aws.Int32(60)},
			DeadLetterConfig: &ebtypes.DeadLetterConfig{Arn: aws.String(dlqARN)}},
		ebtypes.Target{Id: aws.String("missing"), Arn: aws.String(missingQueue),
			RetryPolicy:      &ebtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(5)},
			DeadLetterConfig: &ebtypes.DeadLetterConfig{Arn: aws.String(dlqARN)}},
		ebtypes.Target{Id: aws.String("flaky"), Arn: aws.String(flakyARN),
			RetryPolicy:      &ebtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(2)},
			DeadLetterConfig: &ebtypes.DeadLetterConfig{Arn: aws.String(dlqARN)}},
		ebtypes.Target{Id: aws.String("failing"), Arn: aws.String(failingARN),
			RetryPolicy:      &ebtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(1)},
			DeadLetterConfig: &ebtypes.DeadLetterConfig{Arn: aws.String(dlqARN)}},
		ebtypes.Target{Id: aws.String("topic"), Arn: aws.String(missingTopic),
			DeadLetterConfig: &ebtypes.DeadLetterConfig{Arn: aws.String(dlqARN)}},
	)
	out := h.put(entry(bus, "app", "thing", `{"k":"v"}`))
	id := aws.ToString(out.Entries[0].EventId)

	byTarget := map[string]sqstypes.Message{}
	for _, m := range h.receive(dlqURL, 4) {
		byTarget[attr(m, "TARGET_ARN")] = m
		if ev := decodeEvent(t, aws.ToString(m.Body)); ev.ID != id || string(ev.Detail) != `{"k":"v"}` {
			t.Errorf("DLQ body is the original event: %s", aws.ToString(m.Body))
		}
		if attr(m, "RULE_ARN") != ruleArn || attr(m, "ERROR_MESSAGE") == "<absent>" {
			t.Errorf("DLQ attributes %v", m.MessageAttributes)
		}
	}
	cases := []struct {
		target, code, retries, exhausted string
	}{
		{unreachable, "SDK_CLIENT_ERROR", "3", "MaximumRetryAttempts"},
		{missingQueue, "NO_RESOURCE", "0", "<absent>"}, // missing resources are not retried
		{missingTopic, "NO_RESOURCE", "0", "<absent>"},
		{failingARN, "ERROR_FROM_TARGET", "1", "MaximumRetryAttempts"},
	}
	for _, c := range cases {
		m, ok := byTarget[c.target]
		if !ok {
			t.Errorf("no DLQ message for %s (got %v)", c.target, byTarget)
			continue
		}
		if attr(m, "ERROR_CODE") != c.code || attr(m, "RETRY_ATTEMPTS") != c.retries || attr(m, "EXHAUSTED_RETRY_CONDITION") != c.exhausted {
			t.Errorf("%s: ERROR_CODE %s RETRY_ATTEMPTS %s EXHAUSTED_RETRY_CONDITION %s; want %s %s %s", c.target,
				attr(m, "ERROR_CODE"), attr(m, "RETRY_ATTEMPTS"), attr(m, "EXHAUSTED_RETRY_CONDITION"), c.code, c.retries, c.exhausted)
		}
	}
	// The flaky function failed twice and succeeded on its second retry: not dead-lettered.
	if got := flaky.wait(t, 1); len(got) != 1 || flaky.calls != 3 {
		t.Errorf("flaky function: %d deliveries after %d calls, want 1 after 3", len(got), flaky.calls)
	}
	if failing.calls != 2 {
		t.Errorf("failing function called %d times, want 2 (1 + MaximumRetryAttempts 1)", failing.calls)
	}
	h.empty(dlqURL)
}

func TestDroppedEventIsLogged(t *testing.T) {
	h := newHarness(t)
	bus, _ := h.bus("drop")
	h.rule(bus, "r", `{"source":["app"]}`)
	h.targets(bus, "r", ebtypes.Target{Id: aws.String("nowhere"), Arn: aws.String("arn:aws:lambda:us-east-1:000000000000:function:" + h.name("unregistered"))})
	id := aws.ToString(h.put(entry(bus, "app", "thing", `{}`)).Entries[0].EventId)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(h.logs.String(), id) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, `"msg":"event dropped"`) || !strings.Contains(logs, id) || !strings.Contains(logs, "no dead-letter queue") {
		t.Fatalf("a failed delivery without DLQ is logged as dropped with the event id %s; logs:\n%s", id, logs)
	}
}

func TestLambdaSNSAndFIFOTargets(t *testing.T) {
	h := newHarness(t)
	bus, _ := h.bus("kinds")
	fn := &capture{}
	fnARN := h.function("consumer", fn)

	topic, err := h.sns.CreateTopic(h.ctx(), &sns.CreateTopicInput{Name: aws.String(h.name("topic"))})
	if err != nil {
		t.Fatal(err)
	}
	subURL, subARN := h.queue("topic-sub", nil)
	if _, err := h.sns.Subscribe(h.ctx(), &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(subARN)}); err != nil {
		t.Fatal(err)
	}
	fifoURL, fifoARN := h.queue("ordered.fifo", map[string]string{"FifoQueue": "true"})

	h.rule(bus, "r", `{"source":["app"]}`)
	h.targets(bus, "r",
		ebtypes.Target{Id: aws.String("fn"), Arn: aws.String(fnARN)},
		ebtypes.Target{Id: aws.String("topic"), Arn: topic.TopicArn},
		ebtypes.Target{Id: aws.String("fifo"), Arn: aws.String(fifoARN), SqsParameters: &ebtypes.SqsParameters{MessageGroupId: aws.String("group-1")}},
	)
	id := aws.ToString(h.put(entry(bus, "app", "thing", `{"n":1}`)).Entries[0].EventId)

	if ev := decodeEvent(t, string(fn.wait(t, 1)[0])); ev.ID != id {
		t.Errorf("function got event %s, want %s", ev.ID, id)
	}
	note := h.receive(subURL, 1)[0]
	var envelope struct{ Message, TopicArn string }
	if err := json.Unmarshal([]byte(aws.ToString(note.Body)), &envelope); err != nil {
		t.Fatalf("SNS notification %s: %v", aws.ToString(note.Body), err)
	}
	if ev := decodeEvent(t, envelope.Message); ev.ID != id || envelope.TopicArn != aws.ToString(topic.TopicArn) {
		t.Errorf("SNS message %+v", envelope)
	}
	m := h.receive(fifoURL, 1)[0]
	if ev := decodeEvent(t, aws.ToString(m.Body)); ev.ID != id {
		t.Errorf("FIFO message %s", aws.ToString(m.Body))
	}
	// goaws v0.4.5 does not return MessageGroupId on receive, so the group id itself is not
	// observable here; PutTargets' refusal of a FIFO target without one is tested above.
}

func TestAPIDestinationTarget(t *testing.T) {
	type call struct {
		method, path, key, query, contentType string
		body                                  []byte
	}
	calls := make(chan call, 4)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		calls <- call{r.Method, r.URL.Path, r.Header.Get("X-Api-Key"), r.URL.RawQuery, r.Header.Get("Content-Type"), b}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(api.Close)
	h := newHarness(t)
	bus, _ := h.bus("api")
	dest := h.apiDestination("hook", api.URL+"/hooks/*")
	h.rule(bus, "r", `{"source":["app"]}`)
	h.targets(bus, "r", ebtypes.Target{Id: aws.String("hook"), Arn: aws.String(dest), InputPath: aws.String("$.detail"),
		HttpParameters: &ebtypes.HttpParameters{PathParameterValues: []string{"orders"}, QueryStringParameters: map[string]string{"team": "payments"}}})
	h.put(entry(bus, "app", "thing", `{"order":42}`))
	select {
	case c := <-calls:
		if c.method != "POST" || c.path != "/hooks/orders" || c.key != "local-secret" || c.query != "team=payments" || !strings.HasPrefix(c.contentType, "application/json") || string(c.body) != `{"order":42}` {
			t.Fatalf("API destination call %+v body %s", c, c.body)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("API destination not called; logs:\n%s", h.logs.String())
	}
}

func TestBusToBus(t *testing.T) {
	h := newHarness(t)
	src, _ := h.bus("source")
	dst, dstARN := h.bus("destination")
	qurl, qarn := h.queue("b2b", nil)
	h.rule(src, "forward", `{"source":["app"]}`)
	h.targets(src, "forward", ebtypes.Target{Id: aws.String("bus"), Arn: aws.String(dstARN)})
	h.rule(dst, "consume", `{"detail":{"n":[{"numeric":[">=",2]}]}}`)
	h.targets(dst, "consume", ebtypes.Target{Id: aws.String("q"), Arn: aws.String(qarn)})

	out := h.put(entry(src, "app", "thing", `{"n":1}`), entry(src, "app", "thing", `{"n":2}`))
	m := h.receive(qurl, 1)[0]
	ev := decodeEvent(t, aws.ToString(m.Body))
	if ev.ID != aws.ToString(out.Entries[1].EventId) || string(ev.Detail) != `{"n":2}` {
		t.Fatalf("the event crosses buses unchanged, with its id: got %+v, want id %s", ev, aws.ToString(out.Entries[1].EventId))
	}
	h.empty(qurl)
}

func TestFirehoseWritesNDJSONToS3(t *testing.T) {
	h := newHarness(t)
	bucket := strings.ToLower(h.name("archive"))
	if _, err := h.s3.CreateBucket(h.ctx(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	// Size-triggered flushes: the buffer holds about two events.
	if err := h.srv.AddDeliveryStream("hydrated", firehose.Config{Bucket: bucket, Prefix: "events/", BufferSize: 600, BufferInterval: time.Hour}); err != nil {
		t.Fatal(err)
	}
	bus, _ := h.bus("firehose")
	h.rule(bus, "all", `{"source":["app"]}`)
	h.targets(bus, "all", ebtypes.Target{Id: aws.String("fh"), Arn: aws.String("arn:aws:firehose:us-east-1:000000000000:deliverystream/hydrated")})
	var ids []string
	for i := range 5 {
		out := h.put(entry(bus, "app", "thing", `{"i":`+string(rune('0'+i))+`,"pad":"`+strings.Repeat("x", 100)+`"}`))
		ids = append(ids, aws.ToString(out.Entries[0].EventId))
	}
	// Close flushes what the buffer still holds.
	waitFor(t, func() bool { return len(h.objects(bucket)) >= 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.srv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	keys := h.objects(bucket)
	if len(keys) < 2 {
		t.Fatalf("want several objects (size-triggered flushes and the final flush), got %v", keys)
	}
	for _, key := range keys {
		if !strings.HasPrefix(key, "events/"+time.Now().UTC().Format("2006/01/02/")) || !strings.Contains(key, "/hydrated-1-") {
			t.Errorf("key %s is not in Firehose's layout", key)
		}
		obj, err := h.s3.GetObject(h.ctx(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		if !bytes.HasSuffix(data, []byte("\n")) {
			t.Errorf("object %s does not end with a newline", key)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			seen[decodeEvent(t, sc.Text()).ID] = true
		}
	}
	for _, id := range ids {
		if !seen[id] {
			t.Errorf("event %s not in S3 (objects %v)", id, keys)
		}
	}
}

func TestFirehoseFlushesOnInterval(t *testing.T) {
	h := newHarness(t)
	bucket := strings.ToLower(h.name("timed"))
	if _, err := h.s3.CreateBucket(h.ctx(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.AddDeliveryStream("timed", firehose.Config{Bucket: bucket, Prefix: "p/", BufferInterval: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	h.rule("default", h.name("fh"), `{"source":["`+h.prefix+`"]}`)
	h.targets("default", h.name("fh"), ebtypes.Target{Id: aws.String("fh"), Arn: aws.String("arn:aws:firehose:us-east-1:000000000000:deliverystream/timed")})
	h.put(entry("default", h.prefix, "thing", `{}`))
	waitFor(t, func() bool { return len(h.objects(bucket)) == 1 })
}

func (h *harness) objects(bucket string) []string {
	h.t.Helper()
	out, err := h.s3.ListObjectsV2(h.ctx(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		h.t.Fatalf("list %s: %v", bucket, err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An event whose next retry would come after MaximumEventAgeInSeconds goes to the DLQ with
// that condition: here the first backoff (5–10 min) exceeds the 60 s the target allows.
func TestEventAgeExhaustsRetries(t *testing.T) {
	h := newHarness(t, func(o *eventbus.Options) { o.RetryBaseDelay, o.RetryMaxDelay = 10*time.Minute, 10*time.Minute })
	bus, _ := h.bus("age")
	dlqURL, dlqARN := h.queue("age-dlq", nil)
	failing := &capture{fail: 1 << 30}
	h.rule(bus, "r", `{"source":["app"]}`)
	h.targets(bus, "r", ebtypes.Target{Id: aws.String("fn"), Arn: aws.String(h.function("failing", failing)),
		RetryPolicy:      &ebtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(185), MaximumEventAgeInSeconds: aws.Int32(60)},
		DeadLetterConfig: &ebtypes.DeadLetterConfig{Arn: aws.String(dlqARN)}})
	h.put(entry(bus, "app", "thing", `{}`))
	m := h.receive(dlqURL, 1)[0]
	if attr(m, "EXHAUSTED_RETRY_CONDITION") != "MaximumEventAgeInSeconds" || attr(m, "RETRY_ATTEMPTS") != "0" || attr(m, "ERROR_CODE") != "ERROR_FROM_TARGET" {
		t.Fatalf("DLQ attributes %v", m.MessageAttributes)
	}
}

// Rules that send events round a cycle of buses would loop for ever; the endpoint stops the
// event after a few crossings and logs it as dropped.
func TestBusLoopStops(t *testing.T) {
	h := newHarness(t)
	a, aARN := h.bus("loop-a")
	b, bARN := h.bus("loop-b")
	seen := &capture{}
	h.rule(a, "to-b", `{"source":["app"]}`)
	h.targets(a, "to-b", ebtypes.Target{Id: aws.String("b"), Arn: aws.String(bARN)}, ebtypes.Target{Id: aws.String("fn"), Arn: aws.String(h.function("seen", seen))})
	h.rule(b, "to-a", `{"source":["app"]}`)
	h.targets(b, "to-a", ebtypes.Target{Id: aws.String("a"), Arn: aws.String(aARN)})
	id := aws.ToString(h.put(entry(a, "app", "thing", `{}`)).Entries[0].EventId)
	waitFor(t, func() bool { return strings.Contains(h.logs.String(), "loop stops here") })
	for _, ev := range seen.wait(t, 5) {
		if decodeEvent(t, string(ev)).ID != id {
			t.Fatalf("looping event changed id: %s", ev)
		}
	}
}
