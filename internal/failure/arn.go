package failure

import (
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// StreamType is the kind of stream a failed batch came from.
type StreamType string

const (
	StreamTypeKinesis  StreamType = "kinesis"
	StreamTypeDynamoDB StreamType = "dynamodb"
)

// StreamARN is a parsed stream ARN: a Kinesis stream
// (arn:aws:kinesis:us-east-2:123456789012:stream/mystream), a Kinesis
// enhanced fan-out consumer
// (arn:aws:kinesis:us-east-2:123456789012:stream/mystream/consumer/myconsumer:1525898737)
// or a DynamoDB stream
// (arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2023-12-10T22:52:22.419).
type StreamARN struct {
	Partition string
	Region    string // any string: DynamoDB Local writes "ddblocal"
	AccountID string
	Type      StreamType

	StreamName                string // Kinesis
	ConsumerName              string // Kinesis enhanced fan-out consumer, if the ARN names one
	ConsumerCreationTimestamp string // digits after the consumer name's colon

	TableName   string // DynamoDB
	StreamLabel string // DynamoDB
}

// IsConsumer reports whether the ARN names a Kinesis enhanced fan-out consumer.
func (a StreamARN) IsConsumer() bool { return a.ConsumerName != "" }

// String returns the ARN as parsed (for a consumer, the consumer ARN).
func (a StreamARN) String() string {
	if a.IsConsumer() {
		return a.Stream() + "/consumer/" + a.ConsumerName + ":" + a.ConsumerCreationTimestamp
	}
	return a.Stream()
}

// Stream returns the ARN of the stream to read records from: the ARN itself,
// or for a consumer ARN the ARN of the consumer's stream.
func (a StreamARN) Stream() string {
	prefix := "arn:" + a.Partition + ":" + string(a.Type) + ":" + a.Region + ":" + a.AccountID + ":"
	if a.Type == StreamTypeDynamoDB {
		return prefix + "table/" + a.TableName + "/stream/" + a.StreamLabel
	}
	return prefix + "stream/" + a.StreamName
}

// ParseStreamARN parses a Kinesis stream, Kinesis consumer or DynamoDB stream ARN.
func ParseStreamARN(s string) (StreamARN, error) {
	a, reason := parseStreamARN(s)
	if reason != "" {
		return StreamARN{}, errors.New("stream ARN " + quote(s) + ": " + reason)
	}
	return a, nil
}

// parseStreamARN returns the reason s is not a stream ARN, or "". The SDK's
// arn.Parse splits the six sections; the checks of each are Hydrant's.
func parseStreamARN(s string) (StreamARN, string) {
	parsed, err := arn.Parse(s)
	if err != nil {
		return StreamARN{}, "must be an ARN of the form arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE"
	}
	a := StreamARN{Partition: parsed.Partition, Region: parsed.Region, AccountID: parsed.AccountID}
	if a.Partition == "" || !allIn(a.Partition, isLowerAlnumDash) {
		return StreamARN{}, "partition " + quote(a.Partition) + " is not a partition name such as aws or aws-cn"
	}
	// The region is never checked against a list (DynamoDB Local uses
	// "ddblocal"); it only has to be a printable word.
	if a.Region == "" || !allIn(a.Region, isVisibleASCII) {
		return StreamARN{}, "region " + quote(a.Region) + " is empty or has spaces or control characters"
	}
	if len(a.AccountID) != 12 || !allIn(a.AccountID, isDigit) {
		return StreamARN{}, "account " + quote(a.AccountID) + " is not a 12-digit account ID"
	}
	switch parsed.Service {
	case "kinesis":
		a.Type = StreamTypeKinesis
		return parseKinesisResource(a, parsed.Resource)
	case "dynamodb":
		a.Type = StreamTypeDynamoDB
		return parseDynamoDBResource(a, parsed.Resource)
	default:
		return StreamARN{}, "service " + quote(parsed.Service) + " is neither kinesis nor dynamodb"
	}
}

func parseKinesisResource(a StreamARN, resource string) (StreamARN, string) {
	segs := strings.Split(resource, "/")
	if segs[0] != "stream" || (len(segs) != 2 && len(segs) != 4) {
		return StreamARN{}, "Kinesis resource " + quote(resource) + " is neither stream/NAME nor stream/NAME/consumer/CONSUMER:TIMESTAMP"
	}
	a.StreamName = segs[1]
	if !validName(a.StreamName, 1, 128) {
		return StreamARN{}, "stream name " + quote(a.StreamName) + " must be 1 to 128 characters of a-z A-Z 0-9 _ . -"
	}
	if len(segs) == 2 {
		return a, ""
	}
	if segs[2] != "consumer" {
		return StreamARN{}, "Kinesis resource " + quote(resource) + " is neither stream/NAME nor stream/NAME/consumer/CONSUMER:TIMESTAMP"
	}
	name, ts, ok := strings.Cut(segs[3], ":")
	if !ok || ts == "" || !allIn(ts, isDigit) {
		return StreamARN{}, "consumer " + quote(segs[3]) + " must be CONSUMER:TIMESTAMP with a numeric creation timestamp"
	}
	if !validName(name, 1, 128) {
		return StreamARN{}, "consumer name " + quote(name) + " must be 1 to 128 characters of a-z A-Z 0-9 _ . -"
	}
	a.ConsumerName, a.ConsumerCreationTimestamp = name, ts
	return a, ""
}

func parseDynamoDBResource(a StreamARN, resource string) (StreamARN, string) {
	segs := strings.Split(resource, "/")
	if len(segs) != 4 || segs[0] != "table" || segs[2] != "stream" {
		return StreamARN{}, "DynamoDB resource " + quote(resource) + " is not table/TABLE/stream/LABEL"
	}
	a.TableName, a.StreamLabel = segs[1], segs[3]
	// AWS requires 3 to 255 characters; the lower bound is not enforced
	// because a name that short would fail at DescribeStream anyway and
	// local tools are laxer.
	if !validName(a.TableName, 1, 255) {
		return StreamARN{}, "table name " + quote(a.TableName) + " must be 1 to 255 characters of a-z A-Z 0-9 _ . -"
	}
	// The label is a timestamp in practice (2023-12-10T22:52:22.419); its
	// format is not documented, so only require a printable word.
	if a.StreamLabel == "" || !allIn(a.StreamLabel, isVisibleASCII) {
		return StreamARN{}, "stream label " + quote(a.StreamLabel) + " is empty or has spaces or control characters"
	}
	return a, ""
}

func validName(s string, minLen, maxLen int) bool {
	return len(s) >= minLen && len(s) <= maxLen && allIn(s, isNameChar)
}

func allIn(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool          { return c >= '0' && c <= '9' }
func isVisibleASCII(c byte) bool   { return c > ' ' && c < 0x7f }
func isLowerAlnumDash(c byte) bool { return c >= 'a' && c <= 'z' || isDigit(c) || c == '-' }
func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '_' || c == '.' || c == '-'
}
