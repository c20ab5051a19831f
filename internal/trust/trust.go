// Package trust decides whether a failure record may be hydrated: a failure record is input
// from outside (any principal that may send to the intake queue or topic, or write to the
// failure bucket, can make one up), so before anything is read or published it is checked
// against what the stack configured for its stream: the stream is on the allow-list, it came
// through the destination configured for that stream, and on the paths that identify their
// sender the sender is the one configured for that stream. SQS: the SenderId system
// attribute is the stream's consumer role. S3: the object's key names the event source
// mapping that wrote it (aws/lambda/<mapping UUID>/<shard>/…; the failure bucket's policy lets
// only that mapping's consumer role write under it), and that mapping, looked up with
// lambda:GetEventSourceMapping, reads the record's stream and writes to this bucket. A record that fails a check is
// refused with a *hydrate.RefusedError, which the intake handler moves to the intake DLQ with
// its reason. What each path can and cannot prove is written down in docs/failure-handling.md.
package trust

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/uuid"

	"github.com/hydrant-dev/hydrant/internal/failure"
	"github.com/hydrant-dev/hydrant/internal/hydrate"
)

// Reasons a failure record is refused by the policy (beside hydrate's payload reasons).
const (
	RefusedUnknownStream   = "unknown-stream"    // the stream is not on the allow-list
	RefusedWrongPath       = "wrong-destination" // it came through a destination not configured for its stream
	RefusedSender          = "sender-not-allowed"
	RefusedKeyPrefix       = "key-not-the-mapping-prefix"
	RefusedMapping         = "mapping-not-the-stream" // the key's mapping is unknown, reads another stream or writes elsewhere
	RefusedNoSenderAttr    = "sender-unknown"         // an SQS message without a SenderId attribute
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
	// MappingIDs, when set, narrow the stream's S3 objects to these mappings' prefixes. Every
	// S3 object is checked against its key's mapping in any case (Policy.VerifyMappingsWith).
	MappingIDs []string `json:"mappingIds,omitempty"`
}

// GetEventSourceMappingAPI is the Lambda call that tells which stream and destination the
// mapping named by an S3 failure object's key has.
type GetEventSourceMappingAPI interface {
	GetEventSourceMapping(ctx context.Context, in *lambda.GetEventSourceMappingInput, opts ...func(*lambda.Options)) (*lambda.GetEventSourceMappingOutput, error)
}

// Policy is the allow-list of the streams the stack configured.
type Policy struct {
	streams  map[string]Stream
	mappings *mappingCache
}

// VerifyMappingsWith gives the policy the Lambda client it checks S3 failure objects' mappings
// with. Without one, every S3 object is failed back (not refused: it is a configuration
// error, and the record must survive it).
func (p *Policy) VerifyMappingsWith(api GetEventSourceMappingAPI) {
	p.mappings = &mappingCache{api: api, ttl: mappingTTL, entries: map[string]mappingEntry{}}
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
// one the stack's configuration lets its sender make, and another error (the message is
// failed back and retried) when it could not tell.
func (p *Policy) Admit(ctx context.Context, msg failure.Message, rec *failure.Record, obj *failure.ObjectRef) error {
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
		return p.admitObject(ctx, s, batch, *obj)
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

// mappingTTL is how long a mapping's stream and destination are trusted without asking again:
// a mapping's stream never changes, its destination rarely, and a burst of failure objects
// should not be a burst of GetEventSourceMapping calls (Lambda's control-plane quota).
const mappingTTL = 5 * time.Minute

// admitObject checks an S3 failure object against the mapping its key names. Lambda writes
// aws/lambda/<mapping UUID>/<shard id>/YYYY/MM/DD/… (docs/failure-handling.md), and the failure
// bucket's policy lets only that mapping's consumer role write under aws/lambda/<mapping
// UUID>/: so the key says who wrote the object, and the mapping says what that writer may
// claim — its own stream, its own shards, this bucket.
func (p *Policy) admitObject(ctx context.Context, s Stream, batch *failure.BatchInfo, obj failure.ObjectRef) error {
	where := fmt.Sprintf("s3://%s/%s", obj.Bucket, obj.Key)
	parts := strings.SplitN(obj.Key, "/", 5)
	// Only the UUID as Lambda writes it (lower case, hyphenated): the bucket policy's deny
	// names that spelling, and S3 keys and policy resources are case-sensitive, so under any
	// other spelling that uuid.Parse (and perhaps Lambda's lookup) would read as the same
	// mapping, any consumer role may write (TestAdmitObjectOnlyUnderTheUUIDAsLambdaWritesIt).
	if len(parts) < 5 || parts[0] != "aws" || parts[1] != "lambda" || !canonicalUUID(parts[2]) || parts[3] == "" {
		return &hydrate.RefusedError{Reason: RefusedKeyPrefix, Detail: where + " is not under aws/lambda/<mapping UUID>/<shard id>/, where Lambda writes on-failure objects"}
	}
	mappingID, shard := parts[2], parts[3]
	if shard != batch.ShardID {
		return &hydrate.RefusedError{Reason: RefusedKeyPrefix, Detail: fmt.Sprintf("%s is under shard %s but its record claims shard %s", where, shard, batch.ShardID)}
	}
	if len(s.MappingIDs) > 0 && !slices.Contains(s.MappingIDs, mappingID) {
		return &hydrate.RefusedError{Reason: RefusedKeyPrefix, Detail: fmt.Sprintf("%s is not under aws/lambda/<mapping>/ of a mapping of %s %v", where, s.StreamARN, s.MappingIDs)}
	}
	if p.mappings == nil {
		return fmt.Errorf("admit %s: no Lambda client to look up mapping %s with", where, mappingID)
	}
	m, err := p.mappings.get(ctx, mappingID)
	var nf *lambdatypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		return &hydrate.RefusedError{Reason: RefusedMapping, Detail: fmt.Sprintf("%s names mapping %s, which does not exist", where, mappingID)}
	case err != nil:
		return fmt.Errorf("admit %s: %w", where, err)
	}
	if m.stream != s.StreamARN {
		return &hydrate.RefusedError{Reason: RefusedMapping, Detail: fmt.Sprintf("%s names mapping %s, which reads %s, not %s", where, mappingID, m.stream, s.StreamARN)}
	}
	if m.bucket != obj.Bucket {
		return &hydrate.RefusedError{Reason: RefusedMapping, Detail: fmt.Sprintf("%s names mapping %s, whose failures go to %q, not this bucket", where, mappingID, m.destination)}
	}
	return nil
}

// canonicalUUID reports whether s is a UUID in its one canonical form, the form Lambda gives
// a mapping's UUID and writes in the failure object's key.
func canonicalUUID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

// mappingCache remembers, per mapping UUID, the stream it reads and its on-failure bucket.
// Only answers are kept: an error is asked again next time.
type mappingCache struct {
	api     GetEventSourceMappingAPI
	ttl     time.Duration
	mu      sync.Mutex
	entries map[string]mappingEntry
}

type mappingEntry struct {
	stream      string // the stream ARN (a Kinesis consumer's stream, for enhanced fan-out)
	destination string // the on-failure destination ARN as configured
	bucket      string // its bucket name, "" when it is not an S3 bucket
	expires     time.Time
}

func (c *mappingCache) get(ctx context.Context, id string) (mappingEntry, error) {
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && time.Now().Before(e.expires) {
		return e, nil
	}
	out, err := c.api.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(id)})
	if err != nil {
		return mappingEntry{}, fmt.Errorf("get event source mapping %s: %w", id, err)
	}
	e = mappingEntry{stream: aws.ToString(out.EventSourceArn), expires: time.Now().Add(c.ttl)}
	if a, err := failure.ParseStreamARN(e.stream); err == nil {
		e.stream = a.Stream()
	}
	if d := out.DestinationConfig; d != nil && d.OnFailure != nil {
		e.destination = aws.ToString(d.OnFailure.Destination)
		if a, err := arn.Parse(e.destination); err == nil && a.Service == "s3" {
			e.bucket = a.Resource
		}
	}
	c.mu.Lock()
	c.entries[id] = e
	c.mu.Unlock()
	return e, nil
}
