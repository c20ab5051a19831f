package eventbus_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/internal/localcloud/eventbus"
)

// TestMalformedRequests sends what the SDK never sends (the SDK cannot produce malformed
// bodies) to every operation: each answer is a 4xx AWS JSON error naming a code, never a
// panic or a 5xx.
func TestMalformedRequests(t *testing.T) {
	srv := eventbus.New(eventbus.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	ops := []string{"CreateEventBus", "DescribeEventBus", "DeleteEventBus", "ListEventBuses", "PutRule", "DescribeRule", "ListRules",
		"DeleteRule", "EnableRule", "DisableRule", "PutTargets", "ListTargetsByRule", "RemoveTargets", "PutEvents", "TestEventPattern",
		"CreateArchive", "DescribeArchive", "ListArchives", "StartReplay", "DescribeReplay", "CreateConnection", "CreateApiDestination",
		"DescribeApiDestination"}
	bodies := []string{``, `null`, `[]`, `"x"`, `{`, `{"Name":5}`, `{"Entries":[null]}`, `{"Entries":[{"Detail":"{\"a\":"}]}`,
		`{"Targets":[null,{"Id":"x","Arn":"arn"}],"Rule":"r"}`, `{"EventStartTime":"yesterday"}`, `{"NextToken":"zz","Limit":-1}`,
		`{"EventPattern":"{\"a\":[{\"numeric\":[\">\"]}]}","Event":"{}"}`}
	// Operations that succeed on an empty request.
	okOnEmpty := map[string]bool{"DescribeEventBus": true, "ListEventBuses": true, "ListRules": true, "ListArchives": true}
	for _, op := range ops {
		for _, body := range bodies {
			req, _ := http.NewRequest(http.MethodPost, ts.URL, strings.NewReader(body))
			req.Header.Set("X-Amz-Target", "AWSEvents."+op)
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s %q: %v", op, body, err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				// PutEvents reports bad entries per entry, with a 200.
				perEntry := op == "PutEvents" && strings.Contains(string(data), `"FailedEntryCount":1,`)
				if !okOnEmpty[op] && !perEntry && body != `{"NextToken":"zz","Limit":-1}` {
					t.Errorf("%s %q: 200 %s", op, body, data)
				}
				continue
			}
			var e struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if resp.StatusCode >= 500 || json.Unmarshal(data, &e) != nil || e.Type == "" || e.Message == "" {
				t.Errorf("%s %q: %d %s", op, body, resp.StatusCode, data)
			}
		}
	}
	for _, c := range []struct{ method, target string }{{"GET", "AWSEvents.ListRules"}, {"POST", "Kinesis_20131202.ListStreams"}, {"POST", "AWSEvents.CreatePartnerEventSource"}} {
		req, _ := http.NewRequest(c.method, ts.URL, strings.NewReader(`{}`))
		req.Header.Set("X-Amz-Target", c.target)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(data), "UnknownOperationException") {
			t.Errorf("%s %s: %d %s", c.method, c.target, resp.StatusCode, data)
		}
	}
}
