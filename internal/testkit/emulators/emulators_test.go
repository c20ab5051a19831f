package emulators

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFromEnv(t *testing.T) {
	all := map[string]string{
		"AWS_ENDPOINT_URL_KINESIS":          "http://127.0.0.1:1",
		"AWS_ENDPOINT_URL_DYNAMODB":         "http://127.0.0.1:2",
		"AWS_ENDPOINT_URL_DYNAMODB_STREAMS": "http://127.0.0.1:3",
		"AWS_ENDPOINT_URL_SQS":              "http://127.0.0.1:4",
		"AWS_ENDPOINT_URL_SNS":              "http://127.0.0.1:5",
		"AWS_ENDPOINT_URL_S3":               "http://127.0.0.1:6",
	}
	full := Endpoints{Region: "eu-west-1", Kinesis: "http://127.0.0.1:1", DynamoDB: "http://127.0.0.1:2",
		DynamoDBStreams: "http://127.0.0.1:3", SQS: "http://127.0.0.1:4", SNS: "http://127.0.0.1:5", S3: "http://127.0.0.1:6"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_ENDPOINT_URL_EVENTBRIDGE": ""}
		for k, v := range all {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name   string
		env    map[string]string
		want   Endpoints
		wantOK bool
	}{
		{"all set", with(map[string]string{"AWS_REGION": "eu-west-1"}), full, true},
		{"default region variable", with(map[string]string{"AWS_DEFAULT_REGION": "eu-west-1"}), full, true},
		{"AWS_REGION wins", with(map[string]string{"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "ap-south-1"}), full, true},
		{"no region", with(nil), func() Endpoints { e := full; e.Region = DefaultRegion; return e }(), true},
		{"eventbridge optional but read", with(map[string]string{"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_EVENTBRIDGE": "http://127.0.0.1:7"}),
			func() Endpoints { e := full; e.EventBridge = "http://127.0.0.1:7"; return e }(), true},
		{"s3 missing", with(map[string]string{"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_S3": ""}),
			func() Endpoints { e := full; e.S3 = ""; return e }(), false},
		{"streams missing", with(map[string]string{"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": ""}),
			func() Endpoints { e := full; e.DynamoDBStreams = ""; return e }(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			got, ok := FromEnv()
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("FromEnv() = %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	good := Endpoints{Region: "us-east-1", Kinesis: "http://127.0.0.1:1", DynamoDB: "http://127.0.0.1:2",
		DynamoDBStreams: "http://127.0.0.1:3", SQS: "http://127.0.0.1:4", SNS: "https://localhost:5", S3: "http://127.0.0.1:6"}
	tests := []struct {
		name    string
		mutate  func(*Endpoints)
		wantErr string // substring; empty means valid
	}{
		{"valid", func(*Endpoints) {}, ""},
		{"valid with eventbridge", func(e *Endpoints) { e.EventBridge = "http://127.0.0.1:7" }, ""},
		{"empty region", func(e *Endpoints) { e.Region = "" }, "region is empty"},
		{"missing sqs", func(e *Endpoints) { e.SQS = "" }, "AWS_ENDPOINT_URL_SQS is empty"},
		{"no scheme", func(e *Endpoints) { e.Kinesis = "127.0.0.1:4568" }, "AWS_ENDPOINT_URL_KINESIS"},
		{"ftp scheme", func(e *Endpoints) { e.S3 = "ftp://127.0.0.1:6" }, "AWS_ENDPOINT_URL_S3"},
		{"unparsable", func(e *Endpoints) { e.EventBridge = "http://[::1" }, "AWS_ENDPOINT_URL_EVENTBRIDGE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := good
			tt.mutate(&e)
			err := e.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseExports(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    [][2]string
		wantErr string
	}{
		{"exports", "export A=http://x:1\n\nexport AWS_REGION=us-east-1\n", [][2]string{{"A", "http://x:1"}, {"AWS_REGION", "us-east-1"}}, ""},
		{"value with equals", "export K=a=b", [][2]string{{"K", "a=b"}}, ""},
		{"chatter", "installing\nexport A=1", nil, "line 1"},
		{"no equals", "export A", nil, "not NAME=VALUE"},
		{"quoted name", "export 'A'=1", nil, "not NAME=VALUE"},
		{"empty", "\n", nil, "no export lines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseExports([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseExports(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseExports(%q): %v", tt.in, err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("ParseExports(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestRepoRootFrom(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"go.mod", "scripts/emulators", "sub/go.mod"} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	deep := filepath.Join(root, "sub", "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	// sub/go.mod alone is not a root: it has no scripts/emulators next to it.
	if got, err := repoRootFrom(deep); err != nil || got != root {
		t.Errorf("repoRootFrom(%s) = %q, %v; want %q", deep, got, err, root)
	}
	if _, err := repoRootFrom(t.TempDir()); err == nil || !strings.Contains(err.Error(), "go.mod and scripts/emulators") {
		t.Errorf("repoRootFrom(empty dir) error = %v, want one naming go.mod and scripts/emulators", err)
	}
	// The real one: this package lives inside the repository.
	got, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if !isFile(filepath.Join(got, "scripts", "emulators")) {
		t.Errorf("RepoRoot() = %s, which holds no scripts/emulators", got)
	}
}

// fatalRecorder stands in for a testing.TB to see what Get reports.
type fatalRecorder struct {
	testing.TB
	msgs []string
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}

func TestGetFailsWithoutEndpoints(t *testing.T) {
	for _, v := range endpointVars() {
		t.Setenv(v.name, "http://127.0.0.1:1")
	}
	t.Setenv("AWS_ENDPOINT_URL_SQS", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	rec := &fatalRecorder{TB: t}
	Get(rec)
	if len(rec.msgs) == 0 || !strings.Contains(rec.msgs[0], "AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_S3") || !strings.Contains(rec.msgs[0], "emulators.Main") {
		t.Errorf("Get without endpoints reported %q, want the missing variables and how to start the emulators", rec.msgs)
	}
}
