// Package sqsjson is the local cloud's SQS endpoint: it serves SQS's AWS JSON 1.0 protocol,
// which current SDKs and the AWS CLI send, in front of goaws, which speaks only the query
// protocol.
package sqsjson

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
)

// Endpoint is the local cloud's SQS endpoint. goaws v0.4.5 speaks only SQS's query protocol,
// while current SDKs and the AWS CLI send the AWS JSON 1.0 protocol: the endpoint passes
// query requests through to goaws and answers JSON requests by making the same call on goaws
// with a query-protocol client, so any client can be pointed at the local cloud.
type Endpoint struct {
	proxy *httputil.ReverseProxy
	ops   map[string]operation
	moves *moveTasks
}

type operation func(ctx context.Context, body []byte) (any, error)

// call adapts one SDK operation: the JSON protocol's members are the SDK input's fields, and
// its output's fields are the response members.
func call[I, O any](f func(context.Context, *I, ...func(*sqs.Options)) (*O, error)) operation {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(I)
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := json.Unmarshal(body, in); err != nil {
				return nil, &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: "request body: " + err.Error(), Fault: smithy.FaultClient}
			}
		}
		return f(ctx, in)
	}
}

// New returns the endpoint for goaws at the URL goaws, calling it with c (a query-protocol client).
func New(goaws string, c *sqs.Client) (*Endpoint, error) {
	u, err := url.Parse(goaws)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("SQS endpoint %q is not a URL", goaws)
	}
	moves := newMoveTasks(c)
	return &Endpoint{proxy: httputil.NewSingleHostReverseProxy(u), moves: moves, ops: map[string]operation{
		"CreateQueue":             call(c.CreateQueue),
		"DeleteQueue":             call(c.DeleteQueue),
		"ListQueues":              call(c.ListQueues),
		"GetQueueUrl":             call(c.GetQueueUrl),
		"GetQueueAttributes":      call(c.GetQueueAttributes),
		"SetQueueAttributes":      call(c.SetQueueAttributes),
		"PurgeQueue":              call(c.PurgeQueue),
		"SendMessage":             call(c.SendMessage),
		"SendMessageBatch":        call(c.SendMessageBatch),
		"ReceiveMessage":          call(c.ReceiveMessage),
		"DeleteMessage":           call(c.DeleteMessage),
		"DeleteMessageBatch":      call(c.DeleteMessageBatch),
		"ChangeMessageVisibility": call(c.ChangeMessageVisibility),
		// goaws has no message move tasks: the endpoint runs them (movetask.go).
		"StartMessageMoveTask":       moves.start,
		"ListMessageMoveTasks":       moves.list,
		"CancelMessageMoveTask":      moves.cancelTask,
		"ListDeadLetterSourceQueues": moves.listDeadLetterSources,
	}}, nil
}

// Close stops the running message move tasks; what they had not moved stays in the source.
func (s *Endpoint) Close() { s.moves.close() }

func (s *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, isJSON := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	if !isJSON {
		s.proxy.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		writeError(w, &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: "read request: " + err.Error(), Fault: smithy.FaultClient})
		return
	}
	f, ok := s.ops[op]
	if !ok {
		writeError(w, &smithy.GenericAPIError{Code: "UnsupportedOperation", Message: "operation " + op + " is not supported by the local SQS endpoint", Fault: smithy.FaultClient})
		return
	}
	out, err := f(r.Context(), body)
	if err != nil {
		writeError(w, err)
		return
	}
	b, err := responseJSON(out)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_, _ = w.Write(b)
}

// responseJSON is the output's members as JSON: nulls and the SDK's result metadata dropped.
func responseJSON(out any) ([]byte, error) {
	raw, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	delete(m, "ResultMetadata")
	return json.Marshal(dropNulls(m))
}

func dropNulls(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if e == nil {
				delete(t, k)
				continue
			}
			t[k] = dropNulls(e)
		}
	case []any:
		for i, e := range t {
			t[i] = dropNulls(e)
		}
	}
	return v
}

// writeError answers with the JSON protocol's error shape and the query error code header
// that SDKs use to name SQS's legacy error codes.
func writeError(w http.ResponseWriter, err error) {
	code, msg, status := "InternalFailure", err.Error(), http.StatusInternalServerError
	var typed *apiError
	var ae smithy.APIError
	if errors.As(err, &typed) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Query-Error", typed.code+";Sender")
		w.WriteHeader(typed.status)
		b, _ := json.Marshal(map[string]string{"__type": "com.amazonaws.sqs#" + typed.shape, "message": typed.msg})
		_, _ = w.Write(b)
		return
	}
	if errors.As(err, &ae) {
		code, msg = ae.ErrorCode(), ae.ErrorMessage()
		if ae.ErrorFault() != smithy.FaultServer {
			status = http.StatusBadRequest
		}
	}
	short := code
	switch code {
	case "AWS.SimpleQueueService.NonExistentQueue":
		short = "QueueDoesNotExist"
	case "AWS.SimpleQueueService.QueueDeletedRecently":
		short = "QueueDeletedRecently"
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Query-Error", code+";Sender")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"__type": "com.amazonaws.sqs#" + short, "message": msg})
	_, _ = w.Write(b)
}
