// Package lambdaapi serves the part of the AWS Lambda API that tools use against the local
// cloud's in-process functions: Invoke (RequestResponse, Event and DryRun),
// ListEventSourceMappings and GetEventSourceMapping, on Lambda's REST-JSON protocol, so that
// the AWS CLI, an SDK, `hydrant redrive` and the hydrate function's check of S3 failure
// objects (package trust) reach them through AWS_ENDPOINT_URL_LAMBDA.
//
// Errors are Lambda's: a missing function is a 404 ResourceNotFoundException, a function
// that fails is a 200 with X-Amz-Function-Error: Unhandled and the error as the payload.
package lambdaapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// Lambda's request payload limits: 6 MB for a synchronous invocation, 1 MB for an
// asynchronous one (raised from 256 KB in 2025).
const (
	MaxPayload      = 6 * 1024 * 1024
	MaxEventPayload = 1024 * 1024
)

// Functions is what the endpoint serves: the local cloud.
type Functions interface {
	// Invoke runs the function synchronously; a *FunctionError-like error (one for which
	// IsFunctionError is true) is the function's own failure, any other error means the
	// function does not exist.
	Invoke(ctx context.Context, nameOrARN string, payload []byte) ([]byte, error)
	// Exists reports whether a function exists, and its ARN.
	Exists(nameOrARN string) (arn string, ok bool)
	// EventSourceMappings lists the mappings of a function (or all, for ""), optionally of one
	// event source.
	EventSourceMappings(functionNameOrARN, eventSourceARN string) []Mapping
}

// Mapping is an event source mapping as ListEventSourceMappings and GetEventSourceMapping
// return it.
type Mapping struct {
	UUID                  string             `json:"UUID"`
	EventSourceMappingArn string             `json:"EventSourceMappingArn,omitempty"`
	BatchSize             int                `json:"BatchSize"`
	EventSourceArn        string             `json:"EventSourceArn"`
	FunctionArn           string             `json:"FunctionArn"`
	State                 string             `json:"State"`
	DestinationConfig     *DestinationConfig `json:"DestinationConfig,omitempty"`
}

// DestinationConfig is a stream mapping's on-failure destination, in the API's shape
// ({"OnFailure":{"Destination":"arn:…"}}).
type DestinationConfig struct {
	OnFailure *OnFailure `json:"OnFailure,omitempty"`
}

// OnFailure names the destination of discarded batches.
type OnFailure struct {
	Destination string `json:"Destination"`
}

// FunctionError marks an error as the function's own (X-Amz-Function-Error).
type FunctionError interface{ FunctionErrorType() string }

// Handler serves the Lambda API.
type Handler struct {
	fns Functions
	log *slog.Logger
}

// New serves fns.
func New(fns Functions, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{fns: fns, log: log}
}

const (
	invokePrefix = "/2015-03-31/functions/"
	mappingsPath = "/2015-03-31/event-source-mappings"
)

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, invokePrefix) && strings.HasSuffix(r.URL.Path, "/invocations"):
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, invokePrefix), "/invocations")
		h.invoke(w, r, name)
	case r.Method == http.MethodGet && strings.TrimSuffix(r.URL.Path, "/") == mappingsPath:
		h.listMappings(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, mappingsPath+"/"):
		h.getMapping(w, strings.TrimPrefix(r.URL.Path, mappingsPath+"/"))
	default:
		writeError(w, http.StatusNotFound, "UnknownOperationException", fmt.Sprintf("%s %s is not served by the local Lambda endpoint (Invoke, ListEventSourceMappings and GetEventSourceMapping are)", r.Method, r.URL.Path))
	}
}

func (h *Handler) invoke(w http.ResponseWriter, r *http.Request, name string) {
	if q := r.URL.Query().Get("Qualifier"); q != "" && q != "$LATEST" {
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", fmt.Sprintf("Function not found: %s:%s (the local cloud has $LATEST only)", name, q))
		return
	}
	arn, ok := h.fns.Exists(name)
	if !ok {
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	}
	typ := r.Header.Get("X-Amz-Invocation-Type")
	if typ == "" {
		typ = "RequestResponse"
	}
	limit := MaxPayload
	if typ == "Event" {
		limit = MaxEventPayload
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestContentException", "read payload: "+err.Error())
		return
	}
	if len(payload) > limit {
		writeError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", fmt.Sprintf("Request must be smaller than %d bytes for the %s invocation type", limit, typ))
		return
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	if !json.Valid(payload) {
		writeError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: the payload is not valid JSON")
		return
	}
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	switch typ {
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return
	case "Event":
		go func() {
			// Lambda's asynchronous invocation: the caller is answered before the function runs.
			if _, err := h.fns.Invoke(context.WithoutCancel(r.Context()), arn, payload); err != nil {
				h.log.Warn("asynchronous invocation failed", "function", arn, "error", err)
			}
		}()
		w.WriteHeader(http.StatusAccepted)
		return
	case "RequestResponse":
	default:
		writeError(w, http.StatusBadRequest, "InvalidParameterValueException", "X-Amz-Invocation-Type "+typ+": RequestResponse, Event or DryRun")
		return
	}
	out, err := h.fns.Invoke(r.Context(), arn, payload)
	if err != nil {
		var fe FunctionError
		if !errors.As(err, &fe) {
			writeError(w, http.StatusInternalServerError, "ServiceException", err.Error())
			return
		}
		body, _ := json.Marshal(map[string]any{"errorMessage": err.Error(), "errorType": fe.FunctionErrorType()})
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if len(out) == 0 {
		out = []byte("null")
	}
	_, _ = w.Write(out)
}

func (h *Handler) listMappings(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fn := q.Get("FunctionName")
	if fn != "" {
		if _, ok := h.fns.Exists(fn); !ok {
			writeError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+fn)
			return
		}
	}
	ms := h.fns.EventSourceMappings(fn, q.Get("EventSourceArn"))
	if ms == nil {
		ms = []Mapping{}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"EventSourceMappings": ms})
}

// getMapping answers GetEventSourceMapping. An unknown UUID is Lambda's 404
// ResourceNotFoundException, "The resource you requested does not exist.", and a known one
// has the shape AWS answered with (DestinationConfig.OnFailure.Destination,
// EventSourceMappingArn), both as recorded against AWS in LocalStack's
// tests/aws/services/lambda_/test_lambda_api.snapshot.json: TestLambdaEventSourceMappings
// test_event_source_mapping_exceptions "get_unknown_uuid" (2025-11-27) and
// test_event_source_mapping_lifecycle "get_response" (2025-11-25).
func (h *Handler) getMapping(w http.ResponseWriter, uuid string) {
	for _, m := range h.fns.EventSourceMappings("", "") {
		if m.UUID == uuid {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(m)
			return
		}
	}
	writeError(w, http.StatusNotFound, "ResourceNotFoundException", "The resource you requested does not exist.")
}

// writeError answers as Lambda's REST-JSON protocol does: the error code in X-Amzn-ErrorType
// (which the SDK reads first), the message in the body's "Message".
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "Message": msg})
}
