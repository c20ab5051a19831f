package emf

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestFlushWritesOneEMFRecord(t *testing.T) {
	m := New("Hydrant", map[string]string{"FunctionName": "hydrate"})
	m.Add("RecordsHydrated", Count, 3)
	m.Add("RecordsHydrated", Count, 2)
	m.Add("BytesHydrated", Bytes, 1024)
	var buf bytes.Buffer
	now := time.UnixMilli(1700000000123)
	if err := m.Flush(&buf, now); err != nil {
		t.Fatal(err)
	}
	var got struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		FunctionName    string
		RecordsHydrated float64
		BytesHydrated   float64
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v: %s", err, buf.String())
	}
	if got.AWS.Timestamp != 1700000000123 || got.FunctionName != "hydrate" || got.RecordsHydrated != 5 || got.BytesHydrated != 1024 {
		t.Fatalf("unexpected record: %s", buf.String())
	}
	cw := got.AWS.CloudWatchMetrics
	if len(cw) != 1 || cw[0].Namespace != "Hydrant" || len(cw[0].Dimensions) != 1 || cw[0].Dimensions[0][0] != "FunctionName" {
		t.Fatalf("unexpected directive: %s", buf.String())
	}
	if len(cw[0].Metrics) != 2 || cw[0].Metrics[0].Name != "BytesHydrated" || cw[0].Metrics[0].Unit != "Bytes" || cw[0].Metrics[1].Unit != "Count" {
		t.Fatalf("unexpected metric definitions: %+v", cw[0].Metrics)
	}
	if bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
		t.Fatalf("want exactly one line, got %q", buf.String())
	}

	buf.Reset()
	m.Add("RecordsHydrated", Count, 0)
	if err := m.Flush(&buf, now); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"RecordsHydrated":0`)) {
		t.Fatalf("counters were not reset: %s", buf.String())
	}
}

func TestFlushWithNothingWritesNothing(t *testing.T) {
	var buf bytes.Buffer
	if err := New("Hydrant", nil).Flush(&buf, time.Now()); err != nil || buf.Len() != 0 {
		t.Fatalf("Flush of empty metrics wrote %q, err %v", buf.String(), err)
	}
}
