//go:build integration

package streams_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/hydrant-dev/hydrant/internal/streams"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
	"github.com/hydrant-dev/hydrant/internal/testkit/faultproxy"
)

// streamsTrimHorizon makes a DynamoDB Streams shard look trimmed below
// horizon: GetRecords answers lose the records older than it.
func streamsTrimHorizon(horizon string) faultproxy.Responder {
	h, _ := new(big.Int).SetString(horizon, 10)
	return func(w http.ResponseWriter, r *faultproxy.Request, forward faultproxy.Forward) {
		resp, err := forward(r.Context(), r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		var pg map[string]json.RawMessage
		var recs []json.RawMessage
		if resp.StatusCode != http.StatusOK || json.Unmarshal(resp.Body, &pg) != nil || json.Unmarshal(pg["Records"], &recs) != nil {
			faultproxy.WriteResponse(w, resp)
			return
		}
		kept := []json.RawMessage{}
		for _, rec := range recs {
			var v struct {
				Dynamodb struct{ SequenceNumber string }
			}
			seq, ok := new(big.Int), false
			if json.Unmarshal(rec, &v) == nil {
				_, ok = seq.SetString(v.Dynamodb.SequenceNumber, 10)
			}
			if !ok || seq.Cmp(h) >= 0 {
				kept = append(kept, rec)
			}
		}
		pg["Records"], _ = json.Marshal(kept)
		resp.Body, _ = json.Marshal(pg)
		faultproxy.WriteResponse(w, resp)
	}
}

// streamsEmptyPage is a DynamoDB Streams page without records whose next
// iterator is the one asked about, so nothing is skipped.
func streamsEmptyPage(w http.ResponseWriter, r *faultproxy.Request, _ faultproxy.Forward) {
	var in struct{ ShardIterator string }
	if err := json.Unmarshal(r.Body, &in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	body, _ := json.Marshal(map[string]any{"Records": []any{}, "NextShardIterator": in.ShardIterator})
	faultproxy.WriteResponse(w, &faultproxy.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}}, Body: body})
}

func TestDynamoDBFaults(t *testing.T) {
	t.Parallel()
	tb := newDDBTable(t)
	for i := range 30 {
		tb.put(t, map[string]dtypes.AttributeValue{"pk": &dtypes.AttributeValueMemberS{Value: fmt.Sprintf("k%02d", i)}})
	}
	raw := tb.records(t)
	rng := func(from, to int) streams.Range {
		return streams.Range{StreamARN: tb.arn, ShardID: tb.shard, StartSequenceNumber: seqOf(raw[from]), EndSequenceNumber: seqOf(raw[to]), BatchSize: to - from + 1}
	}
	proxied := func(t *testing.T) (*faultproxy.Proxy, *dynamodbstreams.Client) {
		e := emulators.Get(t)
		p, url := faultproxy.Start(t, e.DynamoDBStreams)
		return p, e.DynamoDBStreamsClient(func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(url) })
	}

	t.Run("trimmed start", func(t *testing.T) {
		p, client := proxied(t)
		refused := p.Add(&faultproxy.Rule{Operation: "GetShardIterator", Match: bodyHas(`"AT_SEQUENCE_NUMBER"`), Respond: faultproxy.StreamsTrimmedDataAccess().Responder()})
		p.Add(&faultproxy.Rule{Operation: "GetRecords", Respond: streamsTrimHorizon(seqOf(raw[8]))})
		got, rep := collect(t, ddbReader(t, client, streams.Options{PageLimit: 4}), rng(3, 20))
		assertDDBRecords(t, got, raw[8:21])
		before := new(big.Int)
		before.SetString(seqOf(raw[8]), 10)
		before.Sub(before, big.NewInt(1))
		assertMissing(t, rep, streams.Missing{ShardID: tb.shard, StartSequenceNumber: seqOf(raw[3]), EndSequenceNumber: fmt.Sprintf("%021s", before), Count: 5, Reason: streams.ReasonTrimmed, Detail: "TrimmedDataAccessException"})
		if refused.Hits() != 1 {
			t.Fatalf("AT_SEQUENCE_NUMBER refused %d times", refused.Hits())
		}
	})

	t.Run("trimmed while reading", func(t *testing.T) {
		// The records after the first page are trimmed between GetShardIterator
		// and GetRecords: GetRecords fails with TrimmedDataAccessException.
		p, client := proxied(t)
		calls := 0
		p.Add(&faultproxy.Rule{Operation: "GetRecords", Times: 1, Match: func(*faultproxy.Request) bool { calls++; return calls == 2 }, Respond: faultproxy.StreamsTrimmedDataAccess().Responder()})
		p.Add(&faultproxy.Rule{Operation: "GetRecords", Match: func(*faultproxy.Request) bool { return calls >= 2 }, Respond: streamsTrimHorizon(seqOf(raw[12]))})
		got, rep := collect(t, ddbReader(t, client, streams.Options{PageLimit: 4}), rng(2, 25))
		want := append(append([]stypes.Record{}, raw[2:6]...), raw[12:26]...)
		assertDDBRecords(t, got, want)
		from, to := new(big.Int), new(big.Int)
		from.SetString(seqOf(raw[5]), 10)
		from.Add(from, big.NewInt(1))
		to.SetString(seqOf(raw[12]), 10)
		to.Sub(to, big.NewInt(1))
		assertMissing(t, rep, streams.Missing{ShardID: tb.shard, StartSequenceNumber: fmt.Sprintf("%021s", from), EndSequenceNumber: fmt.Sprintf("%021s", to), Count: 6, Reason: streams.ReasonTrimmed, Detail: "TrimmedDataAccessException"})
	})

	t.Run("expired iterator", func(t *testing.T) {
		p, client := proxied(t)
		calls := 0
		expired := p.Add(&faultproxy.Rule{Operation: "GetRecords", Match: func(*faultproxy.Request) bool { calls++; return calls == 1 || calls == 4 }, Respond: faultproxy.StreamsExpiredIterator().Responder()})
		got, rep := collect(t, ddbReader(t, client, streams.Options{PageLimit: 5}), rng(1, 22))
		assertDDBRecords(t, got, raw[1:23])
		assertComplete(t, rep, 22)
		if expired.Hits() != 2 || p.Calls("GetShardIterator") != 3 {
			t.Fatalf("expired %d times, %d GetShardIterator calls; want 2 and 3", expired.Hits(), p.Calls("GetShardIterator"))
		}
	})

	t.Run("empty pages", func(t *testing.T) {
		p, client := proxied(t)
		calls := 0
		p.Add(&faultproxy.Rule{Operation: "GetRecords", Match: func(*faultproxy.Request) bool { calls++; return calls%3 != 0 }, Respond: streamsEmptyPage})
		got, rep := collect(t, ddbReader(t, client, streams.Options{PageLimit: 6}), rng(0, 29))
		assertDDBRecords(t, got, raw[0:30])
		assertComplete(t, rep, 30)
	})

	t.Run("throttled", func(t *testing.T) {
		p, client := proxied(t)
		limit := faultproxy.AWSError{StatusCode: http.StatusBadRequest, Code: "LimitExceededException", Type: "com.amazonaws.dynamodb.v20120810#LimitExceededException", Message: "Too many concurrent readers"}
		rule := p.Fail("GetRecords", 2, limit)
		got, rep := collect(t, ddbReader(t, client, fastRetryer(5)), rng(4, 9))
		assertDDBRecords(t, got, raw[4:10])
		assertComplete(t, rep, 6)
		if rule.Hits() != 2 {
			t.Fatalf("throttled %d times", rule.Hits())
		}
	})

	t.Run("internal error not retried forever", func(t *testing.T) {
		p, client := proxied(t)
		p.Fail("GetRecords", 0, faultproxy.DynamoDBInternalServerError())
		_, err := ddbReader(t, client, fastRetryer(3)).Read(context.Background(), rng(0, 3), func(streams.Record) error { return nil })
		var ae interface{ ErrorCode() string }
		if !errors.As(err, &ae) || p.Calls("GetRecords") != 3 {
			t.Fatalf("err = %v after %d calls, want the 500 after 3 attempts", err, p.Calls("GetRecords"))
		}
	})
}
