package s3notify

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestS3EventOfRequest(t *testing.T) {
	n := &Proxy{}
	tests := []struct {
		method, target string
		header         map[string]string
		want           string
	}{
		{"PUT", "/b/k", nil, "ObjectCreated:Put"},
		{"PUT", "/b/k", map[string]string{"X-Amz-Copy-Source": "/b/src"}, "ObjectCreated:Copy"},
		{"PUT", "/b/k?partNumber=1&uploadId=u", nil, ""},
		{"PUT", "/b/k?tagging", nil, ""},
		{"PUT", "/b", nil, ""}, // CreateBucket
		{"POST", "/b/k?uploadId=u", nil, "ObjectCreated:CompleteMultipartUpload"},
		{"POST", "/b/k?uploads", nil, ""}, // CreateMultipartUpload
		{"DELETE", "/b/k", nil, "ObjectRemoved:Delete"},
		{"DELETE", "/b/k?uploadId=u", nil, ""}, // AbortMultipartUpload
		{"GET", "/b/k", nil, ""},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, tt.target, http.NoBody)
		for k, v := range tt.header {
			req.Header.Set(k, v)
		}
		_, key := splitPath(req.URL.EscapedPath())
		if got, _ := n.eventOf(req, key); got != tt.want {
			t.Errorf("%s %s: event %q, want %q", tt.method, tt.target, got, tt.want)
		}
	}
}

func TestNotificationFilter(t *testing.T) {
	cfg := Notification{Events: []string{"s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"}, Prefix: "in/", Suffix: ".json"}
	tests := []struct {
		event, key string
		want       bool
	}{
		{"ObjectCreated:Put", "in/a.json", true},
		{"ObjectCreated:CompleteMultipartUpload", "in/a.json", true},
		{"ObjectRemoved:Delete", "in/a.json", true},
		{"ObjectRemoved:DeleteMarkerCreated", "in/a.json", false},
		{"ObjectCreated:Put", "out/a.json", false},
		{"ObjectCreated:Put", "in/a.txt", false},
	}
	for _, tt := range tests {
		if got := matches(cfg, tt.event, tt.key); got != tt.want {
			t.Errorf("%s %s: %v, want %v", tt.event, tt.key, got, tt.want)
		}
	}
}

func TestSplitPathDecodesTheKey(t *testing.T) {
	b, k := splitPath("/bucket/in/a%20b%2Bc.json")
	if b != "bucket" || k != "in/a b+c.json" {
		t.Errorf("splitPath: %q %q", b, k)
	}
}
