//go:build integration

package streams_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/hydrant-dev/hydrant/internal/backoff"
	"github.com/hydrant-dev/hydrant/internal/streams"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
	"github.com/hydrant-dev/hydrant/internal/testkit/faultproxy"
)

// faultyKinesis is a test stream with 30 records on one shard, read through
// a fault proxy in front of kinesis-local.
type faultyKinesis struct {
	stream kinesisStream
	shard  string
	data   [][]byte
	seqs   []string
}

func newFaultyKinesis(t *testing.T) faultyKinesis {
	t.Helper()
	s := newKinesisStream(t, emulators.Get(t).KinesisClient(), 1)
	f := faultyKinesis{stream: s, shard: s.shardID(t, 0), data: numbered("f", 30)}
	f.seqs = s.put(t, f.data)
	return f
}

// proxied returns a fault proxy in front of kinesis-local and a client that goes through it.
func (f faultyKinesis) proxied(t *testing.T) (*faultproxy.Proxy, *kinesis.Client) {
	t.Helper()
	e := emulators.Get(t)
	p, url := faultproxy.Start(t, e.Kinesis)
	return p, e.KinesisClient(func(o *kinesis.Options) { o.BaseEndpoint = aws.String(url) })
}

func (f faultyKinesis) rng(from, to int) streams.Range {
	return streams.Range{StreamARN: f.stream.arn, ShardID: f.shard, StartSequenceNumber: f.seqs[from], EndSequenceNumber: f.seqs[to], BatchSize: to - from + 1}
}

func bodyHas(s string) func(*faultproxy.Request) bool {
	return func(r *faultproxy.Request) bool { return bytes.Contains(r.Body, []byte(s)) }
}

// fastRetryer keeps retry tests short; the backoff policy itself is unit tested.
func fastRetryer(attempts int) streams.Options {
	return streams.Options{Retryer: streams.NewRetryer(backoff.Exponential{Base: time.Millisecond, Max: 10 * time.Millisecond}, attempts)}
}

func TestKinesisThrottling(t *testing.T) {
	t.Parallel()
	f := newFaultyKinesis(t)

	t.Run("retried through the retryer", func(t *testing.T) {
		p, client := f.proxied(t)
		throttle := p.Fail("GetRecords", 3, faultproxy.KinesisThroughputExceeded(f.shard, f.stream.name, "000000000000"))
		iterThrottle := p.Fail("GetShardIterator", 1, faultproxy.KinesisThroughputExceeded(f.shard, f.stream.name, "000000000000"))
		// The default retryer: DefaultBackoff's 200 ms steps.
		got, rep := collect(t, kinesisReader(t, client, streams.Options{PageLimit: 10}), f.rng(3, 27))
		assertKinesisData(t, got, f.seqs[3:28], f.data[3:28])
		assertComplete(t, rep, 25)
		if throttle.Hits() != 3 || iterThrottle.Hits() != 1 {
			t.Fatalf("throttled %d GetRecords and %d GetShardIterator calls, want 3 and 1", throttle.Hits(), iterThrottle.Hits())
		}
		if calls := p.Calls("GetRecords"); calls != 3+3 {
			t.Fatalf("%d GetRecords calls, want 3 pages + 3 retries", calls)
		}
	})

	t.Run("counted", func(t *testing.T) {
		p, client := f.proxied(t)
		p.Fail("GetRecords", 2, faultproxy.KinesisThroughputExceeded(f.shard, f.stream.name, "000000000000"))
		p.Fail("GetShardIterator", 1, faultproxy.InternalFailure()) // retried, but not a throttle
		var n atomic.Int64
		retryer := streams.CountThrottles(streams.NewRetryer(backoff.Exponential{Base: time.Millisecond, Max: 10 * time.Millisecond}, 5), &n)
		got, rep := collect(t, kinesisReader(t, client, streams.Options{Retryer: retryer}), f.rng(0, 9))
		assertKinesisData(t, got, f.seqs[0:10], f.data[0:10])
		assertComplete(t, rep, 10)
		if n.Load() != 2 {
			t.Fatalf("counted %d throttled reads, want 2", n.Load())
		}
	})

	t.Run("retries exhausted", func(t *testing.T) {
		p, client := f.proxied(t)
		p.Fail("GetRecords", 0, faultproxy.KinesisThroughputExceeded(f.shard, f.stream.name, "000000000000"))
		rep, err := kinesisReader(t, client, fastRetryer(4)).Read(context.Background(), f.rng(0, 9), func(streams.Record) error { return nil })
		var pte *ktypes.ProvisionedThroughputExceededException
		if !errors.As(err, &pte) || !strings.Contains(err.Error(), "get records shard "+f.shard) {
			t.Fatalf("err = %v, want ProvisionedThroughputExceededException naming the shard", err)
		}
		if calls := p.Calls("GetRecords"); calls != 4 {
			t.Fatalf("%d GetRecords calls, want 4 attempts", calls)
		}
		if rep.Recovered != 0 {
			t.Fatalf("recovered %d", rep.Recovered)
		}
	})
}

func TestKinesisExpiredIterator(t *testing.T) {
	t.Parallel()
	f := newFaultyKinesis(t)
	expired := faultproxy.KinesisExpiredIterator(time.Now().Add(-6*time.Minute), time.Now())

	t.Run("before the first record: AT the start again", func(t *testing.T) {
		p, client := f.proxied(t)
		rule := p.Fail("GetRecords", 1, expired)
		at := p.Add(&faultproxy.Rule{Operation: "GetShardIterator", Match: bodyHas(`"StartingSequenceNumber":"` + f.seqs[4] + `"`)})
		got, rep := collect(t, kinesisReader(t, client, streams.Options{PageLimit: 6}), f.rng(4, 21))
		assertKinesisData(t, got, f.seqs[4:22], f.data[4:22])
		assertComplete(t, rep, 18)
		if rule.Hits() != 1 || at.Hits() != 2 {
			t.Fatalf("expired %d times, %d iterators AT the start; want 1 and 2", rule.Hits(), at.Hits())
		}
	})

	t.Run("mid-range: AFTER the last record read", func(t *testing.T) {
		p, client := f.proxied(t)
		calls := 0
		rule := p.Add(&faultproxy.Rule{Operation: "GetRecords", Times: 1, Match: func(*faultproxy.Request) bool { calls++; return calls == 3 }, Respond: expired.Responder()})
		// Pages of 5 from record 2: the third page would start at record 12.
		after := p.Add(&faultproxy.Rule{Operation: "GetShardIterator", Match: bodyHas(`"ShardIteratorType":"AFTER_SEQUENCE_NUMBER","StartingSequenceNumber":"` + f.seqs[11] + `"`)})
		got, rep := collect(t, kinesisReader(t, client, streams.Options{PageLimit: 5}), f.rng(2, 26))
		assertKinesisData(t, got, f.seqs[2:27], f.data[2:27])
		assertComplete(t, rep, 25)
		if rule.Hits() != 1 || after.Hits() != 1 {
			t.Fatalf("expired %d times, %d iterators AFTER record 11; want 1 and 1", rule.Hits(), after.Hits())
		}
	})

	t.Run("expiring without end", func(t *testing.T) {
		p, client := f.proxied(t)
		p.Fail("GetRecords", 0, expired)
		_, err := kinesisReader(t, client, streams.Options{}).Read(context.Background(), f.rng(0, 5), func(streams.Record) error { return nil })
		var eie *ktypes.ExpiredIteratorException
		if !errors.As(err, &eie) || !strings.Contains(err.Error(), "without progress") {
			t.Fatalf("err = %v, want ExpiredIteratorException after repeated expiry", err)
		}
	})
}

// emptyPages answers a GetRecords call as Kinesis does when the iterator is
// in a part of the shard without records: no records, an iterator to go on
// with (here the same one, so no record is skipped), and the consumer still
// behind the tip.
func emptyPage(w http.ResponseWriter, r *faultproxy.Request, _ faultproxy.Forward) {
	var in struct{ ShardIterator string }
	if err := json.Unmarshal(r.Body, &in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	body, _ := json.Marshal(map[string]any{"Records": []any{}, "NextShardIterator": in.ShardIterator, "MillisBehindLatest": 86_400_000})
	faultproxy.WriteResponse(w, &faultproxy.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}}, Body: body})
}

// behindWhenEmptied wraps a responder that removes records from GetRecords
// pages: a page it empties reports the consumer a day behind the tip, as AWS
// does for an iterator in trimmed data (kinesis-local always reports 0, which
// would read as "caught up").
func behindWhenEmptied(inner faultproxy.Responder) faultproxy.Responder {
	return func(w http.ResponseWriter, r *faultproxy.Request, forward faultproxy.Forward) {
		backendHadRecords := false
		rec := httptest.NewRecorder()
		inner(rec, r, func(ctx context.Context, body []byte) (*faultproxy.Response, error) {
			resp, err := forward(ctx, body)
			if err == nil && resp.StatusCode == http.StatusOK {
				var pg struct{ Records []json.RawMessage }
				backendHadRecords = json.Unmarshal(resp.Body, &pg) == nil && len(pg.Records) > 0
			}
			return resp, err
		})
		out := &faultproxy.Response{StatusCode: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
		var pg map[string]json.RawMessage
		if rec.Code == http.StatusOK && backendHadRecords && json.Unmarshal(out.Body, &pg) == nil && string(pg["Records"]) == "[]" {
			pg["MillisBehindLatest"] = json.RawMessage("86400000")
			out.Body, _ = json.Marshal(pg)
			out.Header.Del("Content-Length")
		}
		faultproxy.WriteResponse(w, out)
	}
}

func TestKinesisEmptyPages(t *testing.T) {
	t.Parallel()
	// kinesis-local never answers an empty page while records remain after
	// the iterator; AWS does (its storage is in time-ordered chunks, and
	// GetRecords "might take multiple calls" to reach records). The proxy
	// turns every other GetRecords call into such a page.
	f := newFaultyKinesis(t)
	p, client := f.proxied(t)
	calls := 0
	empties := p.Add(&faultproxy.Rule{Operation: "GetRecords", Match: func(*faultproxy.Request) bool { calls++; return calls%2 == 1 }, Respond: emptyPage})
	got, rep := collect(t, kinesisReader(t, client, streams.Options{PageLimit: 4}), f.rng(1, 20))
	assertKinesisData(t, got, f.seqs[1:21], f.data[1:21])
	assertComplete(t, rep, 20)
	if empties.Hits() < 5 {
		t.Fatalf("only %d empty pages served", empties.Hits())
	}
}

func TestKinesisTrimmed(t *testing.T) {
	t.Parallel()
	f := newFaultyKinesis(t)
	seqPlus := func(i, d int64) string {
		n, _ := new(big.Int).SetString(f.seqs[i], 10)
		return n.Add(n, big.NewInt(d)).String()
	}
	refuseAT := func(p *faultproxy.Proxy, from int) *faultproxy.Rule {
		return p.Add(&faultproxy.Rule{Operation: "GetShardIterator", Match: bodyHas(`"AT_SEQUENCE_NUMBER"`),
			Respond: faultproxy.KinesisInvalidStartingSequenceNumber(f.seqs[from], f.shard, f.stream.name, "000000000000").Responder()})
	}
	trimBelow := func(t *testing.T, p *faultproxy.Proxy, horizon int) {
		resp, err := faultproxy.KinesisTrimHorizon(f.seqs[horizon])
		if err != nil {
			t.Fatal(err)
		}
		p.Add(&faultproxy.Rule{Operation: "GetRecords", Respond: behindWhenEmptied(resp)})
	}

	for _, tc := range []struct {
		name     string
		refuse   bool // GetShardIterator refuses the start (else AWS hands out an iterator into trimmed data)
		horizon  int
		from, to int
		want     []streams.Missing
	}{
		{
			name: "start refused, head of the range trimmed", refuse: true, horizon: 12, from: 5, to: 24,
			want: []streams.Missing{{StartSequenceNumber: "s5", EndSequenceNumber: "s12-1", Count: 7, Reason: streams.ReasonTrimmed, Detail: "InvalidArgumentException"}},
		},
		{
			name: "iterator into trimmed data, head of the range trimmed", horizon: 12, from: 5, to: 24,
			want: []streams.Missing{{StartSequenceNumber: "s5", EndSequenceNumber: "s12-1", Count: 7, Reason: streams.ReasonTrimmed, Detail: "no longer in the shard"}},
		},
		{
			name: "start refused, whole range trimmed", refuse: true, horizon: 27, from: 5, to: 24,
			want: []streams.Missing{{StartSequenceNumber: "s5", EndSequenceNumber: "s24", Count: 20, Reason: streams.ReasonTrimmed, Detail: "StartingSequenceNumber"}},
		},
		{
			name: "start refused, everything trimmed", refuse: true, horizon: 29, from: 0, to: 29,
			want: []streams.Missing{{StartSequenceNumber: "s0", EndSequenceNumber: "s29-1", Count: 29, Reason: streams.ReasonTrimmed}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, client := f.proxied(t)
			if tc.refuse {
				refuseAT(p, tc.from)
			}
			trimBelow(t, p, tc.horizon)
			got, rep := collect(t, kinesisReader(t, client, streams.Options{PageLimit: 6}), f.rng(tc.from, tc.to))
			first := max(tc.from, tc.horizon)
			if first <= tc.to {
				assertKinesisData(t, got, f.seqs[first:tc.to+1], f.data[first:tc.to+1])
			} else if len(got) != 0 {
				t.Fatalf("got %d records from a trimmed range", len(got))
			}
			want := make([]streams.Missing, len(tc.want))
			for i, m := range tc.want {
				m.ShardID = f.shard
				m.StartSequenceNumber = resolveSeq(f.seqs, m.StartSequenceNumber, seqPlus)
				m.EndSequenceNumber = resolveSeq(f.seqs, m.EndSequenceNumber, seqPlus)
				want[i] = m
			}
			assertMissing(t, rep, want...)
			if rep.StreamRecords+rep.Missing[0].Count != tc.to-tc.from+1 {
				t.Fatalf("recovered %d + missing %d != batch size %d", rep.StreamRecords, rep.Missing[0].Count, tc.to-tc.from+1)
			}
		})
	}

	t.Run("iterator into trimmed data yielding only empty pages", func(t *testing.T) {
		// Reported of AWS: an iterator at a trimmed position can answer empty
		// pages, far behind the tip, for minutes. The reader bounds the run and
		// checks TRIM_HORIZON.
		p, client := f.proxied(t)
		empties := p.Add(&faultproxy.Rule{Operation: "GetRecords", Times: 100, Respond: emptyPage})
		trimBelow(t, p, 12)
		got, rep := collect(t, kinesisReader(t, client, streams.Options{PageLimit: 6}), f.rng(5, 24))
		assertKinesisData(t, got, f.seqs[12:25], f.data[12:25])
		assertMissing(t, rep, streams.Missing{ShardID: f.shard, StartSequenceNumber: f.seqs[5], EndSequenceNumber: seqPlus(12, -1), Count: 7, Reason: streams.ReasonTrimmed, Detail: "100 consecutive empty pages"})
		if empties.Hits() != 100 {
			t.Fatalf("%d empty pages served", empties.Hits())
		}
	})

	t.Run("start unknown, older records present", func(t *testing.T) {
		// kinesis-local answers ResourceNotFoundException for a sequence
		// number it never issued; the shard's oldest record is older than the
		// start, so the start is not trimmed: the range is reported not found
		// rather than searched for from the trim horizon.
		client := emulators.Get(t).KinesisClient()
		r := f.rng(5, 9)
		r.StartSequenceNumber = seqPlus(5, 1)
		got, rep := collect(t, kinesisReader(t, client, streams.Options{}), r)
		if len(got) != 0 {
			t.Fatalf("got %d records", len(got))
		}
		assertMissing(t, rep, streams.Missing{ShardID: f.shard, StartSequenceNumber: r.StartSequenceNumber, EndSequenceNumber: f.seqs[9], Count: 5, Reason: streams.ReasonNotFound, Detail: "ResourceNotFoundException"})
	})
}

// resolveSeq turns "sN" into seqs[N] and "sN-1" into seqs[N]-1.
func resolveSeq(seqs []string, s string, plus func(i, d int64) string) string {
	var i int64
	if rest, ok := strings.CutSuffix(s, "-1"); ok {
		if _, err := fmtSscan(rest[1:], &i); err == nil {
			return plus(i, -1)
		}
	}
	if _, err := fmtSscan(s[1:], &i); err == nil {
		return seqs[i]
	}
	return s
}
