package faultproxy_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/internal/testkit/faultproxy"
)

// TestPassThroughByteExact: what the client sends reaches the backend unchanged and what the
// backend answers reaches the client unchanged, every byte value included.
func TestPassThroughByteExact(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	var got struct {
		method, path, query, target, ct, host string
		body                                  []byte
	}
	respBody := append([]byte("\x1f\x8b not really gzip "), all...)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.method, got.path, got.query = r.Method, r.URL.Path, r.URL.RawQuery
		got.target, got.ct, got.host = r.Header.Get("X-Amz-Target"), r.Header.Get("Content-Type"), r.Host
		got.body, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Encoding", "gzip") // must reach the client undecoded
		w.Header().Set("X-Custom", "kept")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write(respBody)
	}))
	defer backend.Close()
	p, url := faultproxy.Start(t, backend.URL)
	p.Fail("SomethingElse", 0, faultproxy.InternalFailure()) // a rule that does not match

	req, _ := http.NewRequest(http.MethodPut, url+"/a%2Fb/c?x=1&y=%20", bytes.NewReader(all))
	req.Header.Set("X-Amz-Target", "Svc.Op")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if got.method != http.MethodPut || got.path != "/a/b/c" || got.query != "x=1&y=%20" || got.target != "Svc.Op" ||
		got.ct != "application/x-amz-json-1.1" || !strings.HasPrefix(url, "http://"+got.host) || !bytes.Equal(got.body, all) {
		t.Errorf("backend received %+v", got)
	}
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("X-Custom") != "kept" || !bytes.Equal(body, respBody) {
		t.Errorf("client received %d %v %q", resp.StatusCode, resp.Header, body)
	}
	if p.Calls("Op") != 1 || p.Calls("Svc.Op") != 1 {
		t.Errorf("calls Op=%d Svc.Op=%d, want 1 and 1", p.Calls("Op"), p.Calls("Svc.Op"))
	}
}

func TestNewRejectsBadTargets(t *testing.T) {
	for _, target := range []string{"", "127.0.0.1:4568", "ftp://127.0.0.1", "http://", "http://[::1"} {
		if _, err := faultproxy.New(target); err == nil || !strings.Contains(err.Error(), "target") {
			t.Errorf("New(%q) error = %v, want one naming the target", target, err)
		}
	}
}

// TestBackendDown: an unreachable emulator gives a 502 that says so, for pass-through and for
// responders that forward.
func TestBackendDown(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	p, url := faultproxy.Start(t, gone.URL)
	trim, _ := faultproxy.KinesisTrimHorizon("0")
	p.Add(&faultproxy.Rule{Operation: "GetRecords", Respond: trim})
	for _, target := range []string{"Kinesis_20131202.ListStreams", "Kinesis_20131202.GetRecords"} {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", target)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "faultproxy") {
			t.Errorf("%s with the backend down: %d %s, want 502 from faultproxy", target, resp.StatusCode, body)
		}
	}
}
