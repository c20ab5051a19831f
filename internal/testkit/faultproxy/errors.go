package faultproxy

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// AWSError is an AWS error response. It is written in the protocol of the request it answers:
// AWS JSON 1.0/1.1 (`{"__type": ..., "message": ...}` with the request's Content-Type), or the
// query protocol's XML ErrorResponse (SQS, SNS).
type AWSError struct {
	StatusCode int
	// Code is the error code the SDK maps to a typed error (types.<Code>).
	Code string
	// Type is the JSON `__type` when the service sends a namespaced one
	// ("com.amazonaws.dynamodb.v20120810#TrimmedDataAccessException"); empty means Code.
	Type    string
	Message string
}

// Error makes an AWSError usable as a Go error too (in test helpers).
func (e AWSError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.StatusCode, e.Code, e.Message)
}

// Responder answers every matched request with the error.
func (e AWSError) Responder() Responder {
	return func(w http.ResponseWriter, r *Request, _ Forward) { e.Write(w, r) }
}

// Write writes the error as the answer to r.
func (e AWSError) Write(w http.ResponseWriter, r *Request) {
	w.Header().Set("x-amzn-RequestId", uuid.NewString())
	if r.Target == "" && isQuery(r) {
		e.writeQuery(w)
		return
	}
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "application/x-amz-json-") {
		ct = "application/x-amz-json-1.1"
	}
	typ := e.Type
	if typ == "" {
		typ = e.Code
	}
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{typ, e.Message}) // two strings: cannot fail
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(e.StatusCode)
	_, _ = w.Write(body)
}

func isQuery(r *Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") ||
		r.URL.Query().Get("Action") != ""
}

func (e AWSError) writeQuery(w http.ResponseWriter) {
	type xmlError struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	fault := "Sender"
	if e.StatusCode >= 500 {
		fault = "Receiver"
	}
	body, _ := xml.Marshal(struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Error     xmlError `xml:"Error"`
		RequestID string   `xml:"RequestId"`
	}{Error: xmlError{fault, e.Code, e.Message}, RequestID: uuid.NewString()}) // strings only: cannot fail
	body = append([]byte(xml.Header), body...)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(e.StatusCode)
	_, _ = w.Write(body)
}

// ---- Kinesis (AWS JSON 1.1) -------------------------------------------------------------

// KinesisThroughputExceeded is Kinesis's read or write throttling error, worded as Kinesis has
// long worded it: "Rate exceeded for shard shardId-000000000000 in stream NAME under account
// 123456789012." (seen from GetRecords and PutRecord(s) in SDK error reports).
func KinesisThroughputExceeded(shardID, streamName, accountID string) AWSError {
	return AWSError{StatusCode: http.StatusBadRequest, Code: "ProvisionedThroughputExceededException",
		Message: fmt.Sprintf("Rate exceeded for shard %s in stream %s under account %s.", shardID, streamName, accountID)}
}

// KinesisGetRecordsThroughputExceeded is the wording GetRecords throttling carries in recent
// reports (KCL 2.x, 2023–2025): "Rate exceeded for Shard - 123456789012/NAME/shardId-000000000003".
func KinesisGetRecordsThroughputExceeded(accountID, streamName, shardID string) AWSError {
	return AWSError{StatusCode: http.StatusBadRequest, Code: "ProvisionedThroughputExceededException",
		Message: fmt.Sprintf("Rate exceeded for Shard - %s/%s/%s", accountID, streamName, shardID)}
}

// javaDate is how Kinesis prints times in its messages (java.util.Date.toString, in UTC).
const javaDate = "Mon Jan 02 15:04:05 MST 2006"

// KinesisExpiredIterator is GetRecords' error for an iterator older than 5 minutes: "Iterator
// expired. The iterator was created at time Wed Jan 15 05:31:22 UTC 2020 while right now it is
// Wed Jan 15 05:37:43 UTC 2020 which is further in the future than the tolerated delay of
// 300000 milliseconds."
func KinesisExpiredIterator(created, now time.Time) AWSError {
	return AWSError{StatusCode: http.StatusBadRequest, Code: "ExpiredIteratorException",
		Message: fmt.Sprintf("Iterator expired. The iterator was created at time %s while right now it is %s which is further in the future than the tolerated delay of 300000 milliseconds.",
			created.UTC().Format(javaDate), now.UTC().Format(javaDate))}
}

// KinesisInvalidStartingSequenceNumber is GetShardIterator's InvalidArgumentException for a
// StartingSequenceNumber the shard cannot serve: "StartingSequenceNumber N used in
// GetShardIterator on shard S in stream NAME under account A is invalid." How AWS answers a
// sequence number that has aged past retention is not documented; the one report found (a Go
// consumer falling back to TRIM_HORIZON) shows this error class with a message naming
// StartingSequenceNumber. Pair it with KinesisTrimHorizon to test both plausible behaviours.
func KinesisInvalidStartingSequenceNumber(sequenceNumber, shardID, streamName, accountID string) AWSError {
	return AWSError{StatusCode: http.StatusBadRequest, Code: "InvalidArgumentException",
		Message: fmt.Sprintf("StartingSequenceNumber %s used in GetShardIterator on shard %s in stream %s under account %s is invalid.",
			sequenceNumber, shardID, streamName, accountID)}
}

// ---- DynamoDB and DynamoDB Streams (AWS JSON 1.0) -----------------------------------------

const dynamoDBNamespace = "com.amazonaws.dynamodb.v20120810#"

// StreamsTrimmedDataAccess is DynamoDB Streams' error for a position older than the 24-hour
// trim horizon (GetShardIterator with an old sequence number, or GetRecords on an iterator whose
// record was trimmed meanwhile). Message as AWS returns it in field reports: "The data you are
// trying to access has been trimmed" (DynamoDB Local words it "The operation attempted to read
// past the oldest stream record in a shard.").
func StreamsTrimmedDataAccess() AWSError {
	return AWSError{StatusCode: http.StatusBadRequest, Code: "TrimmedDataAccessException",
		Type: dynamoDBNamespace + "TrimmedDataAccessException", Message: "The data you are trying to access has been trimmed"}
}

// StreamsExpiredIterator is DynamoDB Streams' error for an iterator older than 15 minutes. The
// message is the API reference's description (DynamoDB Local sends an empty one; no AWS wire
// capture was found).
func StreamsExpiredIterator() AWSError {
	return AWSError{StatusCode: http.StatusBadRequest, Code: "ExpiredIteratorException",
		Type:    dynamoDBNamespace + "ExpiredIteratorException",
		Message: "The shard iterator has expired and can no longer be used to retrieve stream records. A shard iterator expires 15 minutes after it is retrieved using the GetShardIterator action."}
}

// DynamoDBInternalServerError is DynamoDB's and DynamoDB Streams' 500.
func DynamoDBInternalServerError() AWSError {
	return AWSError{StatusCode: http.StatusInternalServerError, Code: "InternalServerError",
		Type: dynamoDBNamespace + "InternalServerError", Message: "Internal server error"}
}

// ---- Any service -------------------------------------------------------------------------

// InternalFailure is AWS's common 500 error ("Common Errors" in every API reference), which the
// SDK retries.
func InternalFailure() AWSError {
	return AWSError{StatusCode: http.StatusInternalServerError, Code: "InternalFailure",
		Message: "The request processing has failed because of an unknown error, exception or failure."}
}

// ServiceUnavailable is AWS's common 503 error.
func ServiceUnavailable() AWSError {
	return AWSError{StatusCode: http.StatusServiceUnavailable, Code: "ServiceUnavailable",
		Message: "The request has failed due to a temporary failure of the server."}
}

// ---- EventBridge (AWS JSON 1.1) ----------------------------------------------------------

// EventBridgeThrottling is EventBridge's request-level throttling error (PutEvents over the
// account's TPS quota): 400 ThrottlingException "Rate exceeded".
func EventBridgeThrottling() AWSError {
	return AWSError{StatusCode: http.StatusBadRequest, Code: "ThrottlingException", Message: "Rate exceeded"}
}

// ---- Refused reads (IAM and KMS) ------------------------------------------------------------

// KinesisAccessDenied is IAM's refusal of a Kinesis call (400 AccessDeniedException), worded as
// IAM words an identity-based denial: "User: ARN is not authorized to perform: ACTION on
// resource: ARN because no identity-based policy allows the ACTION action".
func KinesisAccessDenied(principalARN, action, resourceARN string) AWSError {
	return AWSError{StatusCode: http.StatusBadRequest, Code: "AccessDeniedException",
		Message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action", principalARN, action, resourceARN, action)}
}

// KinesisKMSAccessDenied is GetRecords' error on an SSE-KMS stream for a reader without
// kms:Decrypt on its key, as recorded from AWS (an AWS SDK for Java trace: "Status Code: 400;
// Error Code: KMSAccessDeniedException"): "User NAME is not authorized to decrypt records in
// stream ACCOUNT:STREAM:CREATION".
func KinesisKMSAccessDenied(user, accountID, streamName string) AWSError {
	return AWSError{StatusCode: http.StatusBadRequest, Code: "KMSAccessDeniedException",
		Message: fmt.Sprintf("User %s is not authorized to decrypt records in stream %s:%s:1700000000000", user, accountID, streamName)}
}

// KinesisKMSError is one of the other KMS errors GetRecords declares (KMSDisabledException,
// KMSInvalidStateException, KMSNotFoundException, KMSOptInRequired, KMSThrottlingException),
// all HTTP 400. No wire capture of their messages was found; the message is the API
// reference's description of the code.
func KinesisKMSError(code string) AWSError {
	msg := map[string]string{
		"KMSDisabledException":     "The request was rejected because the specified customer master key (CMK) isn't enabled.",
		"KMSInvalidStateException": "The request was rejected because the state of the specified resource isn't valid for this request.",
		"KMSNotFoundException":     "The request was rejected because the specified entity or resource can't be found.",
		"KMSOptInRequired":         "The AWS access key ID needs a subscription for the service.",
		"KMSThrottlingException":   "The request was denied due to request throttling.",
	}[code]
	return AWSError{StatusCode: http.StatusBadRequest, Code: code, Message: msg}
}

// DynamoDBAccessDenied is IAM's refusal of a DynamoDB or DynamoDB Streams call: 400 with the
// `__type` "com.amazon.coral.service#AccessDeniedException" and IAM's wording.
func DynamoDBAccessDenied(principalARN, action, resourceARN string) AWSError {
	return AWSError{StatusCode: http.StatusBadRequest, Code: "AccessDeniedException", Type: "com.amazon.coral.service#AccessDeniedException",
		Message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action", principalARN, action, resourceARN, action)}
}
