package faultproxy

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
)

// EntryError is the ErrorCode and ErrorMessage of one failed PutEvents result entry.
type EntryError struct {
	Code    string
	Message string
}

// EntryThrottled is a PutEvents entry failed for throttling, which callers must retry.
func EntryThrottled() EntryError {
	return EntryError{Code: "ThrottlingException", Message: "Rate exceeded"}
}

// EntryInternalFailure is a PutEvents entry failed by an internal error, also retryable.
func EntryInternalFailure() EntryError {
	return EntryError{Code: "InternalFailure", Message: "The request processing has failed because of an unknown error, exception or failure."}
}

// PutEventsPartialFailure answers EventBridge PutEvents as AWS does when some entries fail: it
// forwards only the entries for which fail returns false (so only they reach the bus), and
// answers 200 with FailedEntryCount and one result entry per request entry, in request order,
// the failed ones carrying entryErr. When every entry fails nothing is forwarded. A request
// that is not a PutEvents JSON object, or an error answer from the bus, passes through as is.
func PutEventsPartialFailure(fail func(index int, entry json.RawMessage) bool, entryErr EntryError) Responder {
	return func(w http.ResponseWriter, r *Request, forward Forward) {
		var req map[string]json.RawMessage
		var entries []json.RawMessage
		if json.Unmarshal(r.Body, &req) != nil || json.Unmarshal(req["Entries"], &entries) != nil {
			if resp, ok := forwardOrFail(w, r, forward, r.Body); ok {
				WriteResponse(w, resp)
			}
			return
		}
		failed := make([]bool, len(entries))
		var kept []json.RawMessage
		for i, e := range entries {
			failed[i] = fail(i, e)
			if !failed[i] {
				kept = append(kept, e)
			}
		}
		failedEntry := map[string]string{"ErrorCode": entryErr.Code, "ErrorMessage": entryErr.Message}

		type result struct {
			FailedEntryCount int               `json:"FailedEntryCount"`
			Entries          []json.RawMessage `json:"Entries"`
		}
		var backend result
		header := http.Header{"Content-Type": {"application/x-amz-json-1.1"}}
		if len(kept) > 0 {
			req["Entries"], _ = json.Marshal(kept) // raw messages from a successful decode
			body, _ := json.Marshal(req)
			resp, ok := forwardOrFail(w, r, forward, body)
			if !ok {
				return
			}
			if resp.StatusCode != http.StatusOK {
				WriteResponse(w, resp)
				return
			}
			if err := json.Unmarshal(resp.Body, &backend); err != nil || len(backend.Entries) != len(kept) {
				http.Error(w, fmt.Sprintf("faultproxy: PutEvents answer for %d forwarded entries is not a matching result (err %v): %s",
					len(kept), err, resp.Body), http.StatusBadGateway)
				return
			}
			header = resp.Header
		}

		out := result{FailedEntryCount: backend.FailedEntryCount, Entries: make([]json.RawMessage, 0, len(entries))}
		next := 0
		for i := range entries {
			if failed[i] {
				b, _ := json.Marshal(failedEntry)
				out.Entries = append(out.Entries, b)
				out.FailedEntryCount++
				continue
			}
			out.Entries = append(out.Entries, backend.Entries[next])
			next++
		}
		body, _ := json.Marshal(out)
		WriteResponse(w, &Response{StatusCode: http.StatusOK, Header: header, Body: body})
	}
}

// KinesisTrimHorizon makes a Kinesis shard look trimmed below horizon (a sequence number):
// GetRecords is forwarded, and records with smaller sequence numbers are removed from the
// answer, as if retention had expired them and the iterator had moved on to the oldest record
// left (TRIM_HORIZON: "the last untrimmed record in the shard"). Use it with a Match on the
// shard's iterators, or on a proxy for a stream that only the test uses.
func KinesisTrimHorizon(horizon string) (Responder, error) {
	h, ok := new(big.Int).SetString(horizon, 10)
	if !ok || h.Sign() < 0 {
		return nil, fmt.Errorf("faultproxy: trim horizon %q is not a sequence number", horizon)
	}
	return func(w http.ResponseWriter, r *Request, forward Forward) {
		resp, ok := forwardOrFail(w, r, forward, r.Body)
		if !ok {
			return
		}
		if resp.StatusCode != http.StatusOK {
			WriteResponse(w, resp)
			return
		}
		var page map[string]json.RawMessage
		var records []json.RawMessage
		if json.Unmarshal(resp.Body, &page) != nil || json.Unmarshal(page["Records"], &records) != nil {
			http.Error(w, fmt.Sprintf("faultproxy: GetRecords answer is not a Kinesis page: %.200s", resp.Body), http.StatusBadGateway)
			return
		}
		kept := make([]json.RawMessage, 0, len(records))
		for _, rec := range records {
			var id struct{ SequenceNumber string }
			seq, ok := new(big.Int), false
			if json.Unmarshal(rec, &id) == nil {
				_, ok = seq.SetString(id.SequenceNumber, 10)
			}
			if !ok {
				http.Error(w, fmt.Sprintf("faultproxy: GetRecords record without a sequence number: %.200s", rec), http.StatusBadGateway)
				return
			}
			if seq.Cmp(h) >= 0 {
				kept = append(kept, rec)
			}
		}
		page["Records"], _ = json.Marshal(kept)
		body, _ := json.Marshal(page)
		WriteResponse(w, &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body})
	}, nil
}
