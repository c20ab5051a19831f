// Package trust decides whether a failure record may be hydrated: a failure record is input
// from outside (any principal that may send to the intake queue or topic, or write to the
// failure bucket, can make one up), so before anything is read or published it is checked
// against what the stack configured for its stream: the stream is on the allow-list, it came
// through the destination configured for that stream, and on the paths that identify their
// sender (SQS: the SenderId system attribute; S3: the key prefix naming the event source
// mapping) the sender is the one configured for that stream. A record that fails a check is
// refused with a *hydrate.RefusedError, which the intake handler moves to the intake DLQ with
// its reason. What each path can and cannot prove is written down in docs/failure-handling.md.
package trust

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/hydrate"
)

// Reasons a failure record is refused by the policy (beside hydrate's payload reasons).
const (
	RefusedUnknownStream   = "unknown-stream"    // the stream is not on the allow-list
	RefusedWrongPath       = "wrong-destination" // it came through a destination not configured for its stream
	RefusedSender          = "sender-not-allowed"
	RefusedKeyPrefix       = "key-not-the-mapping-prefix"
	RefusedNoSenderAttr    = "sender-unknown" // an SQS message without a SenderId attribute
	RefusedNoSendersConfig = "senders-not-configured"
)

// Stream is one allow-list entry: a stream Hydrant hydrates, how its failures arrive, and who
// may send them.
type Stream struct {
	// StreamARN is the Kinesis stream or DynamoDB stream ARN.
	StreamARN string `json:"streamArn"`
	// Destinations are the paths its failure records may come through: sqs, sns, s3.
	Destinations []failure.Destination `json:"destinations"`
	// SenderRoleIDs are the unique IDs (AROA…) of the roles whose event source mappings write
	// the stream's failure records: SQS reports a role's sender as "ROLEID:session"
	// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html,
	// AttributeNames SenderId: "For an IAM role, returns the IAM role ID, for example
	// ABCDE1F2GH3I4JK5LMNOP:i-a123b456"). Required for the sqs destination.
	SenderRoleIDs []string `json:"senderRoleIds,omitempty"`
	// MappingIDs are the UUIDs of the stream's event source mappings: Lambda writes an S3
	// on-failure object under aws/lambda/<mapping UUID>/<shard id>/…, so the key says which
	// mapping (and, through the bucket policy, which role) wrote it. Empty: any key.
	MappingIDs []string `json:"mappingIds,omitempty"`
}

// Policy is the allow-list of the streams the stack configured.
type Policy struct {
	streams map[string]Stream
}

// roleID is a role's unique ID, or a 12-digit account ID: goaws, which has no IAM, reports
// every message's SenderId as its account, and the local cloud trusts that for its senders.
var roleID = regexp.MustCompile(`^(AROA[A-Z0-9]{12,}|[0-9]{12})$`)

// Parse reads the allow-list from its JSON form (the hydrate function's
// HYDRANT_TRUSTED_STREAMS): a list of Stream. Every entry is validated; the errors name the
// entry and the field.
func Parse(doc string) (*Policy, error) {
	var list []Stream
	if err := json.Unmarshal([]byte(doc), &list); err != nil {
		return nil, fmt.Errorf("trusted streams: not a JSON list of streams: %w", err)
	}
	p := &Policy{streams: map[string]Stream{}}
	var problems []string
	for i, s := range list {
		if _, err := failure.ParseStreamARN(s.StreamARN); err != nil {
			problems = append(problems, fmt.Sprintf("[%d].streamArn %q: %v", i, s.StreamARN, err))
		}
		if _, dup := p.streams[s.StreamARN]; dup {
			problems = append(problems, fmt.Sprintf("[%d].streamArn %q is listed twice", i, s.StreamARN))
		}
		if len(s.Destinations) == 0 {
			problems = append(problems, fmt.Sprintf("[%d].destinations: at least one of sqs, sns, s3", i))
		}
		for _, d := range s.Destinations {
			switch d {
			case failure.DestinationSQS, failure.DestinationSNS, failure.DestinationS3:
			default:
				problems = append(problems, fmt.Sprintf("[%d].destinations: %q is not sqs, sns or s3", i, d))
			}
		}
		for _, id := range s.SenderRoleIDs {
			if !roleID.MatchString(id) {
				problems = append(problems, fmt.Sprintf("[%d].senderRoleIds: %q is not a role's unique ID (AROA…)", i, id))
			}
		}
		p.streams[s.StreamARN] = s
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("trusted streams: %s", strings.Join(problems, "; "))
	}
	return p, nil
}

// Streams returns the allow-list's stream ARNs.
func (p *Policy) Streams() []string {
	out := make([]string, 0, len(p.streams))
	for arn := range p.streams {
		out = append(out, arn)
	}
	slices.Sort(out)
	return out
}

// Admit checks one failure record of an intake message: rec is the record (from the message,
// or from the S3 object obj names). It returns a *hydrate.RefusedError when the record is not
// one the stack's configuration lets its sender make.
func (p *Policy) Admit(msg failure.Message, rec *failure.Record, obj *failure.ObjectRef) error {
	batch := rec.Batch()
	if batch == nil {
		return &hydrate.RefusedError{Reason: RefusedUnknownStream, Detail: "the record names no batch"}
	}
	arn := batch.StreamARN
	if batch.Source.Type != "" {
		arn = batch.Source.Stream() // an enhanced fan-out consumer's stream
	}
	s, ok := p.streams[arn]
	if !ok {
		return &hydrate.RefusedError{Reason: RefusedUnknownStream, Detail: fmt.Sprintf("stream %s is not one this stack hydrates", arn)}
	}
	dest := msg.Destination
	if obj != nil {
		dest = failure.DestinationS3
	}
	if !slices.Contains(s.Destinations, dest) {
		return &hydrate.RefusedError{Reason: RefusedWrongPath, Detail: fmt.Sprintf("stream %s sends its failures to %v, not %s", arn, s.Destinations, dest)}
	}
	switch {
	case obj != nil:
		if len(s.MappingIDs) > 0 {
			mapping, _, _ := strings.Cut(strings.TrimPrefix(obj.Key, "aws/lambda/"), "/")
			if !strings.HasPrefix(obj.Key, "aws/lambda/") || !slices.Contains(s.MappingIDs, mapping) {
				return &hydrate.RefusedError{Reason: RefusedKeyPrefix, Detail: fmt.Sprintf("s3://%s/%s is not under aws/lambda/<mapping>/ of a mapping of %s %v", obj.Bucket, obj.Key, arn, s.MappingIDs)}
			}
		}
	case dest == failure.DestinationSQS:
		if len(s.SenderRoleIDs) == 0 {
			return &hydrate.RefusedError{Reason: RefusedNoSendersConfig, Detail: fmt.Sprintf("stream %s has the sqs destination but no sender role configured", arn)}
		}
		if msg.SenderID == "" {
			return &hydrate.RefusedError{Reason: RefusedNoSenderAttr, Detail: "the intake message carries no SenderId attribute"}
		}
		id, _, _ := strings.Cut(msg.SenderID, ":")
		if !slices.Contains(s.SenderRoleIDs, id) {
			return &hydrate.RefusedError{Reason: RefusedSender, Detail: fmt.Sprintf("sender %s is not a role configured for stream %s", msg.SenderID, arn)}
		}
	}
	// SNS: the delivery's sender is SNS itself and the envelope does not name the publisher;
	// the allow-list and the destination are all this path can check (residual risk).
	return nil
}
