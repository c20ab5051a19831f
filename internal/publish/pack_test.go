package publish

import (
	"strings"
	"testing"
)

func entryOfSize(id string, size int) Entry {
	// Source "s" (1) + DetailType "d" (1) + resource "r" (1) + detail {"x":"..."} (8 + n)
	pad := size - 3 - len(`{"x":""}`)
	return Entry{ID: id, Source: "s", DetailType: "d", Resources: []string{"r"}, Detail: []byte(`{"x":"` + strings.Repeat("a", pad) + `"}`)}
}

func TestEntrySizeFollowsTheDocumentedFormula(t *testing.T) {
	e := Entry{Source: "hydrant", DetailType: "RecordHydrated", Resources: []string{"arn:aws:kinesis:us-east-1:123456789012:stream/orders", "é"}, Detail: []byte(`{"a":"ü"}`)}
	// 7 + 14 + 52 + 2 (é is 2 UTF-8 bytes) + 10 (ü is 2 bytes)
	if got, want := EntrySize(e), 7+14+52+2+10; got != want {
		t.Fatalf("EntrySize = %d, want %d", got, want)
	}
	if got := EntrySize(entryOfSize("x", 1000)); got != 1000 {
		t.Fatalf("entryOfSize helper builds %d bytes, want 1000", got)
	}
}

func TestPack(t *testing.T) {
	many := func(n, size int) []Entry {
		out := make([]Entry, n)
		for i := range out {
			out[i] = entryOfSize("e", size)
		}
		return out
	}
	tests := []struct {
		name    string
		entries []Entry
		max     int
		want    []int // entries per batch
	}{
		{"empty", nil, 1000, nil},
		{"one", many(1, 100), 1000, []int{1}},
		{"ten fit in one call", many(10, 100), 1000, []int{10}},
		{"eleventh starts a call", many(11, 20), 1000, []int{10, 1}},
		{"size splits before count", many(10, 300), 1000, []int{3, 3, 3, 1}},
		{"an entry of exactly the maximum travels alone", many(3, 1000), 1000, []int{1, 1, 1}},
		{"1000 small entries", many(1000, 1024), 256 * 1024, repeat(10, 100)},
		{"100 KiB entries two per 256 KiB call", many(5, 100*1024), 256 * 1024, []int{2, 2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Pack(tt.entries, tt.max)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d batches, want %d", len(got), len(tt.want))
			}
			total := 0
			for i, b := range got {
				if len(b) != tt.want[i] {
					t.Errorf("batch %d has %d entries, want %d", i, len(b), tt.want[i])
				}
				size := 0
				for _, e := range b {
					size += EntrySize(e)
				}
				if size > tt.max {
					t.Errorf("batch %d is %d bytes, over %d", i, size, tt.max)
				}
				total += len(b)
			}
			if total != len(tt.entries) {
				t.Errorf("packed %d entries, want %d", total, len(tt.entries))
			}
		})
	}
}

func repeat(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestBackoffStaysWithinBounds(t *testing.T) {
	p := &Publisher{cfg: Config{EventBusName: "b"}.withDefaults()}
	for n := 1; n < 40; n++ {
		d := p.backoff(n)
		if d <= 0 || d > p.cfg.MaxDelay {
			t.Fatalf("backoff(%d) = %v, want in (0, %v]", n, d, p.cfg.MaxDelay)
		}
	}
}
