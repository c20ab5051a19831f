// Package emf writes CloudWatch metrics in the Embedded Metric Format: one JSON log line
// per flush, which CloudWatch Logs turns into metrics without any API call from the function.
package emf

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// Unit is a CloudWatch metric unit.
type Unit string

const (
	Count Unit = "Count"
	Bytes Unit = "Bytes"
)

// Metrics accumulates counters for one namespace and one set of dimensions, and writes them
// as a single EMF record. It is safe for concurrent use.
type Metrics struct {
	namespace  string
	dimensions map[string]string

	mu     sync.Mutex
	values map[string]float64
	units  map[string]Unit
}

// New returns an empty set of metrics.
func New(namespace string, dimensions map[string]string) *Metrics {
	return &Metrics{namespace: namespace, dimensions: dimensions, values: map[string]float64{}, units: map[string]Unit{}}
}

// Add adds v to the metric name.
func (m *Metrics) Add(name string, unit Unit, v float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.values[name] += v
	m.units[name] = unit
}

// Flush writes the record (every metric added, zeros included so that dashboards see a
// value for each invocation) and resets the counters.
func (m *Metrics) Flush(w io.Writer, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.values) == 0 {
		return nil
	}
	names := make([]string, 0, len(m.values))
	for n := range m.values {
		names = append(names, n)
	}
	sort.Strings(names)
	dimNames := make([]string, 0, len(m.dimensions))
	for d := range m.dimensions {
		dimNames = append(dimNames, d)
	}
	sort.Strings(dimNames)

	type metric struct {
		Name string `json:"Name"`
		Unit Unit   `json:"Unit"`
	}
	defs := make([]metric, len(names))
	record := make(map[string]any, len(names)+len(dimNames)+1)
	for i, n := range names {
		defs[i] = metric{Name: n, Unit: m.units[n]}
		record[n] = m.values[n]
	}
	for _, d := range dimNames {
		record[d] = m.dimensions[d]
	}
	record["_aws"] = map[string]any{
		"Timestamp": now.UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  m.namespace,
			"Dimensions": [][]string{dimNames},
			"Metrics":    defs,
		}},
	}
	line, err := json.Marshal(record)
	if err != nil {
		return fmt.Errorf("emf: encode metrics: %w", err)
	}
	if _, err := w.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("emf: write metrics: %w", err)
	}
	clear(m.values)
	return nil
}
