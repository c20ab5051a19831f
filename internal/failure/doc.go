// Package failure parses the on-failure invocation record that a Lambda event
// source mapping (ESM) on a Kinesis data stream or a DynamoDB stream writes to
// its on-failure destination, in every shape Hydrant's intake queue can
// receive it, into one type: Message.
//
// The invocation record (Record) is the same JSON whatever the destination:
//
//	{"requestContext":{"requestId":…,"functionArn":…,"condition":"RetryAttemptsExhausted","approximateInvokeCount":1},
//	 "responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},
//	 "version":"1.0","timestamp":"2019-11-14T00:38:06.021Z",
//	 "KinesisBatchInfo":{"shardId":…,"startSequenceNumber":…,"endSequenceNumber":…,
//	   "approximateArrivalOfFirstRecord":…,"approximateArrivalOfLastRecord":…,"batchSize":500,"streamArn":…}}
//
// with DDBStreamBatchInfo instead of KinesisBatchInfo for DynamoDB streams.
// responseContext is absent when the batch expired before the function ran
// (condition RecordAgeExceeded), and functionError is null when the function
// reported the failure through a partial batch response. Timestamps come with
// milliseconds (Kinesis) or without (DynamoDB); both parse.
//
// The shapes Parse accepts, and the Message.Destination each gives:
//
//   - SQS destination: the message body is the record itself ("sqs"). A record
//     passed directly (a CLI file, a Lambda test invoke) is the same JSON and
//     gives "sqs" too; so does an SNS subscription with raw message delivery,
//     whose SQS body is also the bare record.
//   - SNS destination, as SQS receives it from a subscription without raw
//     delivery: the SNS envelope {"Type":"Notification","MessageId":…,
//     "TopicArn":…,"Message":"<the record as a JSON string>",…} ("sns"); the
//     same envelope as the Sns entity of a Lambda SNS event
//     ({"Records":[{"EventSource":"aws:sns","Sns":{…}}]}) is accepted too.
//   - S3 destination: the object Lambda writes holds the record plus
//     payload.Records, the original Lambda event records of the batch ("s3").
//     The intake queue receives the S3 event notification for that object
//     ({"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put",
//     "s3":{"bucket":{"name":…},"object":{"key":…,"size":…}}}]}); Parse
//     returns the object references (Message.Objects, keys URL-decoded) for
//     the caller to fetch and pass to ParseObject. The s3:TestEvent that S3
//     sends when notifications are configured gives Message.TestEvent: there
//     is nothing to do but acknowledge it. S3 notifications fanned out
//     through SNS (S3 → SNS → SQS) are unwrapped the same way.
//   - Any of the above inside an SQS message as aws-lambda-go's
//     events.SQSMessage ("body"), a one-record Lambda SQS event, or the output
//     of `aws sqs receive-message` with one message ("Messages"/"Body").
//
// Parse decodes each document once with encoding/json into plain structs
// with JSON tags (wire.go), whose leaves stay raw, and then validates them in
// one step that names the field path of the first fault (check, errors.go).
// The wire names are those of aws-lambda-go's events types (SNSEntity,
// S3EventRecord, SQSMessage), and the tests decode every sample with those
// types too. Parse does not decode into them because they would reject a
// whole message over a field Hydrant does not use (an SNS Timestamp or an S3
// eventTime that is not RFC 3339) and because their errors do not say which
// field was wrong. Unknown fields are ignored: AWS adds fields.
//
// Everything that matters for reading the batch back is validated: shard ID,
// sequence numbers (decimal strings, end ≥ start compared as integers),
// batchSize > 0, and a stream ARN of the kind the batch info names. Stream
// ARNs are never checked against a list of regions: DynamoDB Local writes
// region "ddblocal". An enhanced fan-out consumer ARN is kept as given;
// BatchInfo.Source.Stream() is the stream to read from. Every error is a
// *FieldError naming the JSON path of the field at fault.
package failure
