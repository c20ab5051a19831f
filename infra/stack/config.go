package stack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/hydrant-dev/hydrant/internal/hydrate"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Namespace is the project's configuration namespace (the name in Pulumi.yaml).
const Namespace = "hydrant"

// Config is the stack's typed configuration.
type Config struct {
	Router        RouterConfig         `json:"router"`
	StreamSources []StreamSourceConfig `json:"streamSources"`
	Teams         []TeamConfig         `json:"teams"`
	Operations    OperationsConfig     `json:"operations"`
	Redrive       RedriveConfig        `json:"redrive"`
	Demo          DemoConfig           `json:"demo"`
	// Secrets holds the values of the secret keys targets refer to (apiKeySecret,
	// passwordSecret), read from their own configuration keys.
	Secrets map[string]pulumi.StringOutput `json:"-"`
}

// RouterConfig is hydrant:router; every field is optional.
type RouterConfig struct {
	BusName                    string `json:"busName"`
	EventSource                string `json:"eventSource"`
	ArchiveRetentionDays       *int   `json:"archiveRetentionDays"`
	ReservedConcurrency        *int   `json:"reservedConcurrency"`
	HydrateMemoryMB            int    `json:"hydrateMemoryMB"`
	HydrateTimeoutSeconds      int    `json:"hydrateTimeoutSeconds"`
	IntakeBatchSize            int    `json:"intakeBatchSize"`
	IntakeMaxReceiveCount      int    `json:"intakeMaxReceiveCount"`
	MaxEntrySize               int    `json:"maxEntrySize"`
	PublishConcurrency         int    `json:"publishConcurrency"`
	MessageConcurrency         int    `json:"messageConcurrency"`
	DeadlineMarginSeconds      int    `json:"deadlineMarginSeconds"`
	LogRetentionDays           int    `json:"logRetentionDays"`
	LogLevel                   string `json:"logLevel"`
	FailureObjectRetentionDays int    `json:"failureObjectRetentionDays"`
	ClaimCheckRetentionDays    int    `json:"claimCheckRetentionDays"`
	ArchiveObjectRetentionDays int    `json:"archiveObjectRetentionDays"`
	CatchAllAlarmThreshold     int    `json:"catchAllAlarmThreshold"`
	// RuleCreatorAccounts may create rules on the central bus: an opt-in that shows each of
	// them every stream (hydrantinfra.RouterArgs.RuleCreatorAccounts); `hydrant plan` warns.
	RuleCreatorAccounts []string `json:"ruleCreatorAccounts"`
	// SubscriberAccounts is the former name of that opt-in, refused with an explanation so
	// that nobody keeps it without knowing what it grants.
	SubscriberAccounts []string `json:"subscriberAccounts"`
	// Encryption chooses customer-managed keys; every field empty keeps AWS-owned keys.
	Encryption EncryptionConfig `json:"encryption"`
}

// EncryptionConfig is hydrant:router.encryption: for each part, "create" (the stack creates
// the key and its policy), a KMS key ARN (the operator's key), or nothing (AWS-owned key).
type EncryptionConfig struct {
	Bus      string `json:"bus"`
	Archive  string `json:"archive"`
	Firehose string `json:"firehose"`
	Buckets  string `json:"buckets"`
}

// StreamSourceConfig is one entry of hydrant:streamSources.
type StreamSourceConfig struct {
	Name                 string `json:"name"`
	StreamArn            string `json:"streamArn"`
	StreamKmsKeyArn      string `json:"streamKmsKeyArn"`
	ConsumerFunctionName string `json:"consumerFunctionName"`
	ConsumerRoleName     string `json:"consumerRoleName"`
	// ConsumerRoleID is the role's unique ID (AROA…, `aws iam get-role --role-name NAME
	// --query Role.RoleId`): required for the sqs destination, whose messages the hydrate
	// function admits only from this role (their SenderId).
	ConsumerRoleID            string `json:"consumerRoleId"`
	Destination               string `json:"destination"` // sqs, sns or s3 (default)
	BatchSize                 int    `json:"batchSize"`
	MaximumRetryAttempts      *int   `json:"maximumRetryAttempts"`
	MaximumRecordAgeInSeconds int    `json:"maximumRecordAgeInSeconds"`
	StartingPosition          string `json:"startingPosition"`
	ParallelizationFactor     int    `json:"parallelizationFactor"`
}

// TeamConfig is one entry of hydrant:teams.
type TeamConfig struct {
	Name string `json:"name"`
	// Inbox is the ARN of the team's bus in its own account (hydrantinfra.TeamInbox). A team
	// with an inbox has one subscription, without targets: its rule delivers the selected
	// streams' events to the inbox, and the team's own rules there do the rest. The team's
	// account may read the claim-check objects of those streams.
	Inbox         string               `json:"inbox"`
	Subscriptions []SubscriptionConfig `json:"subscriptions"`
}

// InboxAccount is the account of the team's inbox, or "" for a team without one.
func (t TeamConfig) InboxAccount() string {
	if m := inboxBusArn.FindStringSubmatch(t.Inbox); m != nil {
		return m[1]
	}
	return ""
}

// SubscriptionConfig is one subscription of a team.
type SubscriptionConfig struct {
	Name          string          `json:"name"`
	Streams       []StreamConfig  `json:"streams"`
	DetailPattern json.RawMessage `json:"detailPattern"`
	// IncludeHydrationFailures: nil or true delivers the streams' RecordHydrationFailed events
	// to the targets (the default); false opts out.
	IncludeHydrationFailures *bool          `json:"includeHydrationFailures"`
	Targets                  []TargetConfig `json:"targets"`
}

// StreamConfig selects streams by exactly one of: an ARN, an ARN prefix, or the name of a
// stream source (configured or demo) whose stream it means.
type StreamConfig struct {
	Arn          string `json:"arn"`
	Prefix       string `json:"prefix"`
	StreamSource string `json:"streamSource"`
}

// TargetConfig is one target of a subscription.
type TargetConfig struct {
	Name                   string                `json:"name"`
	Kind                   string                `json:"kind"`
	Arn                    string                `json:"arn"`
	QueueURL               string                `json:"queueUrl"`
	CreateQueue            bool                  `json:"createQueue"` // sqs: Hydrant creates the team's queue
	ManageTopicPolicy      bool                  `json:"manageTopicPolicy"`
	RetryAttempts          *int                  `json:"retryAttempts"`
	MaximumEventAgeSeconds *int                  `json:"maximumEventAgeSeconds"`
	InputTransformer       *InputTransformerConf `json:"inputTransformer"`
	APIDestination         *APIDestinationConfig `json:"apiDestination"`
}

// InputTransformerConf is a target's input transformer.
type InputTransformerConf struct {
	InputPaths    map[string]string `json:"inputPaths"`
	InputTemplate string            `json:"inputTemplate"`
}

// APIDestinationConfig is an HTTPS target; credentials come from secret configuration keys.
type APIDestinationConfig struct {
	Endpoint           string `json:"endpoint"`
	HTTPMethod         string `json:"httpMethod"`
	RateLimitPerSecond int    `json:"rateLimitPerSecond"`
	Authorization      string `json:"authorization"` // API_KEY or BASIC
	APIKeyName         string `json:"apiKeyName"`
	APIKeySecret       string `json:"apiKeySecret"` // name of the secret key holding the API key
	Username           string `json:"username"`
	PasswordSecret     string `json:"passwordSecret"` // name of the secret key holding the password
}

// OperationsConfig is hydrant:operations.
type OperationsConfig struct {
	AlarmEmails   []string `json:"alarmEmails"`
	PeriodSeconds int      `json:"periodSeconds"`
	DashboardName string   `json:"dashboardName"`
}

// RedriveConfig is hydrant:redrive: who may assume the redrive operator role.
type RedriveConfig struct {
	// TrustedPrincipals are the IAM role or user ARNs that may assume the role; by default
	// the stack's account (its principals that IAM allows sts:AssumeRole on the role).
	TrustedPrincipals []string `json:"trustedPrincipals"`
}

// DemoConfig is hydrant:demo: a Kinesis stream and a DynamoDB table with consumers that fail
// on poison records, wired as stream sources "demo-orders" and "demo-users".
type DemoConfig struct {
	Enabled bool `json:"enabled"`
	Shards  int  `json:"shards"`
}

// Demo stream source names, for subscriptions' streamSource.
const (
	DemoOrdersSource = "demo-orders"
	DemoUsersSource  = "demo-users"
)

// ConfigError is invalid configuration: the key (with a path into structured values) and the
// value found there.
type ConfigError struct {
	Key    string // e.g. hydrant:teams[0].subscriptions[1].targets[0].kind
	Value  string
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("config %s = %s: %s", e.Key, e.Value, e.Reason)
}

// Getter reads raw configuration values; *pulumi.Context implements it.
type Getter interface {
	GetConfig(key string) (string, bool)
}

// LoadConfig reads and validates the stack's configuration. Every problem is reported, each as
// a *ConfigError naming the key and the value.
func LoadConfig(ctx Getter) (*Config, error) {
	cfg := &Config{Secrets: map[string]pulumi.StringOutput{}}
	var errs []error
	decode := func(key string, dst any) {
		raw, ok := ctx.GetConfig(Namespace + ":" + key)
		if !ok || strings.TrimSpace(raw) == "" {
			return
		}
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(dst); err != nil {
			errs = append(errs, &ConfigError{Key: Namespace + ":" + key, Value: quote(raw), Reason: "not valid: " + err.Error()})
			return
		}
		if _, err := dec.Token(); err != io.EOF {
			errs = append(errs, &ConfigError{Key: Namespace + ":" + key, Value: quote(raw), Reason: "trailing data after the value"})
		}
	}
	decode("router", &cfg.Router)
	decode("streamSources", &cfg.StreamSources)
	decode("teams", &cfg.Teams)
	decode("operations", &cfg.Operations)
	decode("demo", &cfg.Demo)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	v := &validator{}
	v.validate(cfg)
	for _, key := range v.secretKeys {
		raw, ok := ctx.GetConfig(Namespace + ":" + key)
		if !ok {
			v.fail(Namespace+":"+key, "(unset)", "referenced as a secret but not set (pulumi config set --secret "+key+" ...)")
			continue
		}
		cfg.Secrets[key] = pulumi.ToSecret(pulumi.String(raw)).(pulumi.StringOutput)
	}
	if len(v.errs) > 0 {
		return nil, errors.Join(v.errs...)
	}
	return cfg, nil
}

func quote(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return fmt.Sprintf("%q", s)
}

var (
	roleUniqueID     = regexp.MustCompile(`^AROA[A-Z0-9]{12,}$`)
	kinesisStreamArn = regexp.MustCompile(`^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:[0-9]{12}:stream/[A-Za-z0-9_.-]{1,128}$`)
	dynamoStreamArn  = regexp.MustCompile(`^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]{3,255}/stream/[0-9A-Za-z:._-]+$`)
	streamArnPrefix  = regexp.MustCompile(`^arn:aws[a-z-]*:(kinesis|dynamodb):`)
	kmsKeyArn        = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/\S+$`)
	plainName        = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	// Team, subscription and target names make up resource names ("<team>-<sub>-<target>-role"
	// plus Pulumi's 8-character suffix must fit IAM's 64), hence the shorter limits.
	teamName      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,19}$`)
	subName       = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,15}$`)
	targetName    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,9}$`)
	secretKeyName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	anyArn        = regexp.MustCompile(`^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{0,12}:\S+$`)
	inboxBusArn   = regexp.MustCompile(`^arn:aws[a-z-]*:events:[a-z0-9-]+:([0-9]{12}):event-bus/[A-Za-z0-9._-]{1,256}$`)
)

// StreamKindOf is the kind of a stream ARN, or false when it is neither a Kinesis stream ARN
// nor a DynamoDB stream ARN.
func StreamKindOf(arn string) (hydrantinfra.StreamKind, bool) {
	switch {
	case kinesisStreamArn.MatchString(arn):
		return hydrantinfra.StreamKinesis, true
	case dynamoStreamArn.MatchString(arn):
		return hydrantinfra.StreamDynamoDB, true
	}
	return "", false
}

type validator struct {
	errs       []error
	secretKeys []string
	// inboxes are the teams' inbox bus ARNs, each with the first team that names it: an inbox
	// is one team's, and no other subscription may deliver to it.
	inboxes map[string]string
}

func (v *validator) fail(key, value, reason string) {
	v.errs = append(v.errs, &ConfigError{Key: key, Value: value, Reason: reason})
}

func (v *validator) validate(cfg *Config) {
	r := cfg.Router
	k := Namespace + ":router"
	v.retentions(cfg)
	if r.ArchiveRetentionDays != nil && *r.ArchiveRetentionDays < 0 {
		v.fail(k+".archiveRetentionDays", fmt.Sprint(*r.ArchiveRetentionDays), "must be 0 (keep forever) or more")
	}
	if r.ReservedConcurrency != nil && *r.ReservedConcurrency < 1 {
		v.fail(k+".reservedConcurrency", fmt.Sprint(*r.ReservedConcurrency), "must be at least 1")
	}
	if r.IntakeBatchSize < 0 || r.IntakeBatchSize > 10 {
		v.fail(k+".intakeBatchSize", fmt.Sprint(r.IntakeBatchSize), "must be 1..10")
	}
	if r.HydrateTimeoutSeconds < 0 || r.HydrateTimeoutSeconds > 900 {
		v.fail(k+".hydrateTimeoutSeconds", fmt.Sprint(r.HydrateTimeoutSeconds), "must be 1..900")
	}
	if r.MaxEntrySize != 0 && (r.MaxEntrySize < 1024 || r.MaxEntrySize > 1<<20) {
		v.fail(k+".maxEntrySize", fmt.Sprint(r.MaxEntrySize), "must be 1024..1048576 bytes")
	}
	if r.PublishConcurrency < 0 || r.PublishConcurrency > 64 {
		v.fail(k+".publishConcurrency", fmt.Sprint(r.PublishConcurrency), "must be 1..64")
	}
	if r.MessageConcurrency < 0 || r.MessageConcurrency > 10 {
		v.fail(k+".messageConcurrency", fmt.Sprint(r.MessageConcurrency), "must be 1..10 (an SQS batch holds at most 10 messages)")
	}
	timeout := r.HydrateTimeoutSeconds
	if timeout == 0 {
		timeout = hydrantinfra.DefaultHydrateTimeoutSeconds
	}
	if r.DeadlineMarginSeconds < 0 || r.DeadlineMarginSeconds >= timeout {
		v.fail(k+".deadlineMarginSeconds", fmt.Sprint(r.DeadlineMarginSeconds), fmt.Sprintf("must be 1..%d (under the hydrate timeout, %d s)", timeout-1, timeout))
	}
	if strings.HasPrefix(r.EventSource, "aws.") {
		v.fail(k+".eventSource", quote(r.EventSource), "EventBridge reserves sources starting with \"aws.\"")
	}
	switch r.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		v.fail(k+".logLevel", quote(r.LogLevel), "must be debug, info, warn or error")
	}
	if len(r.SubscriberAccounts) > 0 {
		v.fail(k+".subscriberAccounts", quote(strings.Join(r.SubscriberAccounts, ",")),
			"removed: an account allowed to create rules on the central bus can see every stream. Give a team in another account an inbox (hydrant:teams[].inbox); to grant an account every stream knowingly, list it under ruleCreatorAccounts")
	}
	for i, a := range r.RuleCreatorAccounts {
		if !accountIDPattern.MatchString(a) {
			v.fail(fmt.Sprintf("%s.ruleCreatorAccounts[%d]", k, i), quote(a), "not a 12-digit account ID")
		}
	}
	for _, f := range []struct{ key, value string }{
		{"bus", r.Encryption.Bus}, {"archive", r.Encryption.Archive}, {"firehose", r.Encryption.Firehose}, {"buckets", r.Encryption.Buckets},
	} {
		if hydrantinfra.ValidateKeyChoice(f.value) != nil {
			v.fail(k+".encryption."+f.key, quote(f.value), `must be "create" or a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID); leave it out for AWS-owned keys`)
		}
	}

	sources := map[string]bool{}
	if cfg.Demo.Enabled {
		sources[DemoOrdersSource], sources[DemoUsersSource] = true, true
		if cfg.Demo.Shards < 0 || cfg.Demo.Shards > 4 {
			v.fail(Namespace+":demo.shards", fmt.Sprint(cfg.Demo.Shards), "must be 1..4")
		}
	}
	for i, s := range cfg.StreamSources {
		k := fmt.Sprintf("%s:streamSources[%d]", Namespace, i)
		if !plainName.MatchString(s.Name) {
			v.fail(k+".name", quote(s.Name), "must be 1-31 lower-case letters, digits or '-'")
		} else if sources[s.Name] {
			v.fail(k+".name", quote(s.Name), "used by another stream source")
		}
		sources[s.Name] = true
		if _, ok := StreamKindOf(s.StreamArn); !ok {
			v.fail(k+".streamArn", quote(s.StreamArn), "not a Kinesis stream ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME) or DynamoDB stream ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL)")
		}
		if s.StreamKmsKeyArn != "" && !kmsKeyArn.MatchString(s.StreamKmsKeyArn) {
			v.fail(k+".streamKmsKeyArn", quote(s.StreamKmsKeyArn), "not a KMS key ARN")
		}
		if s.ConsumerFunctionName == "" {
			v.fail(k+".consumerFunctionName", `""`, "required: the function the mapping invokes")
		}
		if s.ConsumerRoleName == "" {
			v.fail(k+".consumerRoleName", `""`, "required: the consumer's execution role, which gets the stream and destination permissions")
		}
		switch s.Destination {
		case "", "sqs", "sns", "s3":
		default:
			v.fail(k+".destination", quote(s.Destination), "must be sqs, sns or s3")
		}
		switch {
		case s.ConsumerRoleID != "" && !roleUniqueID.MatchString(s.ConsumerRoleID):
			v.fail(k+".consumerRoleId", quote(s.ConsumerRoleID), "not a role's unique ID (AROA…; aws iam get-role --query Role.RoleId)")
		case s.Destination == "sqs" && s.ConsumerRoleID == "":
			v.fail(k+".consumerRoleId", `""`, "required for the sqs destination: the hydrate function admits the stream's failure messages only from this role (SQS SenderId); aws iam get-role --role-name "+s.ConsumerRoleName+" --query Role.RoleId")
		}
		if s.MaximumRetryAttempts != nil && (*s.MaximumRetryAttempts < 0 || *s.MaximumRetryAttempts > 10000) {
			v.fail(k+".maximumRetryAttempts", fmt.Sprint(*s.MaximumRetryAttempts), "must be 0..10000 (infinite retries block the shard)")
		}
		if a := s.MaximumRecordAgeInSeconds; a != 0 && (a < 60 || a > 604800) {
			v.fail(k+".maximumRecordAgeInSeconds", fmt.Sprint(a), "must be 60..604800")
		}
		if s.BatchSize < 0 || s.BatchSize > 10000 {
			v.fail(k+".batchSize", fmt.Sprint(s.BatchSize), "must be 1..10000")
		}
		if s.ParallelizationFactor < 0 || s.ParallelizationFactor > 10 {
			v.fail(k+".parallelizationFactor", fmt.Sprint(s.ParallelizationFactor), "must be 1..10")
		}
		switch s.StartingPosition {
		case "", "LATEST", "TRIM_HORIZON":
		default:
			v.fail(k+".startingPosition", quote(s.StartingPosition), "must be LATEST or TRIM_HORIZON")
		}
	}

	teams := map[string]bool{}
	v.inboxes = map[string]string{}
	for _, t := range cfg.Teams {
		if _, ok := v.inboxes[t.Inbox]; t.Inbox != "" && !ok {
			v.inboxes[t.Inbox] = t.Name
		}
	}
	for i, t := range cfg.Teams {
		k := fmt.Sprintf("%s:teams[%d]", Namespace, i)
		if !teamName.MatchString(t.Name) {
			v.fail(k+".name", quote(t.Name), "must be 1-20 lower-case letters, digits or '-'")
		} else if teams[t.Name] {
			v.fail(k+".name", quote(t.Name), "used by another team")
		}
		teams[t.Name] = true
		if len(t.Subscriptions) == 0 {
			v.fail(k+".subscriptions", "[]", "a team needs at least one subscription")
		}
		if t.Inbox != "" {
			if owner := v.inboxes[t.Inbox]; owner != t.Name {
				v.fail(k+".inbox", quote(t.Inbox), "team "+owner+"'s inbox: an inbox is one team's (its rules see every event on it), give this team its own bus")
			}
			if !inboxBusArn.MatchString(t.Inbox) {
				v.fail(k+".inbox", quote(t.Inbox), "not an event bus ARN (arn:aws:events:REGION:ACCOUNT:event-bus/NAME)")
			}
			if len(t.Subscriptions) > 1 {
				v.fail(k+".subscriptions", fmt.Sprintf("(%d subscriptions)", len(t.Subscriptions)), "a team with an inbox has one subscription (its streams); its own rules on the inbox do any further routing")
			}
		}
		subs := map[string]bool{}
		for j, s := range t.Subscriptions {
			v.subscription(fmt.Sprintf("%s.subscriptions[%d]", k, j), s, subs, sources, t.Inbox != "")
		}
	}

	o := cfg.Operations
	for i, e := range o.AlarmEmails {
		if !strings.Contains(e, "@") || strings.ContainsAny(e, " \t") {
			v.fail(fmt.Sprintf("%s:operations.alarmEmails[%d]", Namespace, i), quote(e), "not an e-mail address")
		}
	}
	if o.PeriodSeconds != 0 && (o.PeriodSeconds < 60 || o.PeriodSeconds%60 != 0) {
		v.fail(Namespace+":operations.periodSeconds", fmt.Sprint(o.PeriodSeconds), "must be a multiple of 60")
	}
}

// queueRetentionDays is how long the stack's queues keep a message (SQS's longest retention,
// which they all use but the catch-all queue): the intake queue and its DLQ (a message's age
// counts from its first enqueue), the team queues and the target DLQs.
const queueRetentionDays = 14

// retentions checks that each bucket keeps its objects as long as what refers to them: a
// failure object's notification waits in the intake queues, an offloaded record's event in
// the queues and both archives. An object that expires first takes the data with it, and
// nothing says so until someone redrives or replays the event. A demo stack (minutes, on the
// local cloud) is held to the archives only.
func (v *validator) retentions(cfg *Config) {
	r := cfg.Router
	k := Namespace + ":router"
	if d := r.FailureObjectRetentionDays; d > 0 && d < queueRetentionDays && !cfg.Demo.Enabled {
		v.fail(k+".failureObjectRetentionDays", fmt.Sprint(d), fmt.Sprintf("shorter than the intake queue and its DLQ keep the object's notification (%d days): an object that expires first takes its payload, the only copy of records the stream no longer holds; 0 (keep) or %d and more", queueRetentionDays, queueRetentionDays))
	}
	c := r.ClaimCheckRetentionDays
	if c <= 0 {
		return
	}
	archive := hydrantinfra.DefaultArchiveRetentionDays
	if r.ArchiveRetentionDays != nil {
		archive = *r.ArchiveRetentionDays
	}
	const why = ": an offloaded record's event would outlive its data; 0 (keep) or at least as long"
	switch {
	case r.ArchiveObjectRetentionDays == 0:
		v.fail(k+".claimCheckRetentionDays", fmt.Sprint(c), "shorter than the S3 archive keeps events (archiveObjectRetentionDays 0, forever)"+why)
	case c < r.ArchiveObjectRetentionDays:
		v.fail(k+".claimCheckRetentionDays", fmt.Sprint(c), fmt.Sprintf("shorter than the S3 archive keeps events (archiveObjectRetentionDays %d)", r.ArchiveObjectRetentionDays)+why)
	case archive == 0:
		v.fail(k+".claimCheckRetentionDays", fmt.Sprint(c), "shorter than the event archive keeps events for replay (archiveRetentionDays 0, forever)"+why)
	case c < archive:
		v.fail(k+".claimCheckRetentionDays", fmt.Sprint(c), fmt.Sprintf("shorter than the event archive keeps events (archiveRetentionDays %d)", archive)+why)
	case c < queueRetentionDays && !cfg.Demo.Enabled:
		v.fail(k+".claimCheckRetentionDays", fmt.Sprint(c), fmt.Sprintf("shorter than the queues keep events (%d days: team queues, target DLQs)", queueRetentionDays)+why)
	}
}

func (v *validator) subscription(k string, s SubscriptionConfig, names, sources map[string]bool, inbox bool) {
	if !subName.MatchString(s.Name) {
		v.fail(k+".name", quote(s.Name), "must be 1-16 lower-case letters, digits or '-'")
	} else if names[s.Name] {
		v.fail(k+".name", quote(s.Name), "used by another subscription of the team")
	}
	names[s.Name] = true
	if len(s.Streams) == 0 {
		v.fail(k+".streams", "[]", "a subscription needs at least one stream")
	}
	for i, st := range s.Streams {
		sk := fmt.Sprintf("%s.streams[%d]", k, i)
		set := 0
		for _, f := range []string{st.Arn, st.Prefix, st.StreamSource} {
			if f != "" {
				set++
			}
		}
		switch {
		case set != 1:
			b, _ := json.Marshal(st)
			v.fail(sk, string(b), "set exactly one of arn, prefix, streamSource")
		case st.Arn != "":
			if _, ok := StreamKindOf(st.Arn); !ok {
				v.fail(sk+".arn", quote(st.Arn), "not a Kinesis stream ARN or DynamoDB stream ARN")
			}
		case st.Prefix != "":
			if !streamArnPrefix.MatchString(st.Prefix) {
				v.fail(sk+".prefix", quote(st.Prefix), "must start with arn:aws:kinesis: or arn:aws:dynamodb:")
			} else if _, err := hydrate.OffloadKeyPrefixOfARNPrefix(st.Prefix); inbox && err != nil {
				// The team's account is granted the claim-check keys the prefix maps to.
				v.fail(sk+".prefix", quote(st.Prefix), err.Error())
			}
		default:
			if !sources[st.StreamSource] {
				v.fail(sk+".streamSource", quote(st.StreamSource), "no stream source has this name")
			}
		}
	}
	if len(s.DetailPattern) > 0 {
		trimmed := bytes.TrimSpace(s.DetailPattern)
		if len(trimmed) == 0 || trimmed[0] != '{' {
			v.fail(k+".detailPattern", quote(string(s.DetailPattern)), "must be a JSON object")
		} else if _, err := hydrantinfra.RulePattern("", false, []hydrantinfra.StreamMatch{{ARN: "x"}}, string(s.DetailPattern)); err != nil {
			v.fail(k+".detailPattern", quote(string(s.DetailPattern)), err.Error())
		}
	}
	switch {
	case inbox && len(s.Targets) > 0:
		v.fail(k+".targets", fmt.Sprintf("(%d targets)", len(s.Targets)), "the team's inbox is this subscription's only target; put the team's targets on its inbox, in its own stack")
	case !inbox && len(s.Targets) == 0:
		v.fail(k+".targets", "[]", "a subscription needs at least one target")
	}
	if len(s.Targets) > 5 {
		v.fail(k+".targets", fmt.Sprintf("(%d targets)", len(s.Targets)), "EventBridge allows at most 5 targets per rule")
	}
	targets := map[string]bool{}
	for i, t := range s.Targets {
		v.target(fmt.Sprintf("%s.targets[%d]", k, i), t, targets)
	}
}

func (v *validator) target(k string, t TargetConfig, names map[string]bool) {
	if !targetName.MatchString(t.Name) {
		v.fail(k+".name", quote(t.Name), "must be 1-10 lower-case letters, digits or '-'")
	} else if names[t.Name] {
		v.fail(k+".name", quote(t.Name), "used by another target of the subscription")
	}
	names[t.Name] = true
	arnRequired := func(service string) {
		if a, err := arn.Parse(t.Arn); err != nil || !anyArn.MatchString(t.Arn) || !strings.HasPrefix(a.Service, service) {
			v.fail(k+".arn", quote(t.Arn), "must be the "+service+" ARN of the target")
		}
	}
	switch hydrantinfra.TargetKind(t.Kind) {
	case hydrantinfra.TargetSQS:
		if t.CreateQueue {
			if t.Arn != "" || t.QueueURL != "" {
				v.fail(k+".createQueue", "true", "createQueue makes the queue: leave arn and queueUrl empty")
			}
		} else {
			arnRequired("sqs")
		}
	case hydrantinfra.TargetLambda:
		arnRequired("lambda")
	case hydrantinfra.TargetSNS:
		arnRequired("sns")
	case hydrantinfra.TargetEventBus:
		arnRequired("events")
		if owner, ok := v.inboxes[t.Arn]; ok {
			v.fail(k+".arn", quote(t.Arn), "team "+owner+"'s inbox: only that team's own subscription delivers there (its rules see every event on it)")
		}
	case hydrantinfra.TargetAPIDestination:
		d := t.APIDestination
		if d == nil {
			v.fail(k+".apiDestination", "null", "required for kind apidestination")
			break
		}
		if !strings.HasPrefix(d.Endpoint, "https://") {
			v.fail(k+".apiDestination.endpoint", quote(d.Endpoint), "must be an https URL")
		}
		if d.HTTPMethod == "" {
			v.fail(k+".apiDestination.httpMethod", `""`, "required")
		}
		switch d.Authorization {
		case "API_KEY":
			if d.APIKeyName == "" {
				v.fail(k+".apiDestination.apiKeyName", `""`, "required for API_KEY")
			}
			v.secret(k+".apiDestination.apiKeySecret", d.APIKeySecret)
		case "BASIC":
			if d.Username == "" {
				v.fail(k+".apiDestination.username", `""`, "required for BASIC")
			}
			v.secret(k+".apiDestination.passwordSecret", d.PasswordSecret)
		default:
			v.fail(k+".apiDestination.authorization", quote(d.Authorization), "must be API_KEY or BASIC")
		}
	default:
		kinds := make([]string, len(hydrantinfra.TargetKinds))
		for i, kind := range hydrantinfra.TargetKinds {
			kinds[i] = string(kind)
		}
		v.fail(k+".kind", quote(t.Kind), "unknown target kind (want "+strings.Join(kinds, ", ")+")")
	}
	if t.RetryAttempts != nil && (*t.RetryAttempts < 0 || *t.RetryAttempts > 185) {
		v.fail(k+".retryAttempts", fmt.Sprint(*t.RetryAttempts), "must be 0..185")
	}
	if a := t.MaximumEventAgeSeconds; a != nil && (*a < 60 || *a > 86400) {
		v.fail(k+".maximumEventAgeSeconds", fmt.Sprint(*a), "must be 60..86400")
	}
	if it := t.InputTransformer; it != nil && it.InputTemplate == "" {
		v.fail(k+".inputTransformer.inputTemplate", `""`, "required")
	}
}

func (v *validator) secret(key, name string) {
	if !secretKeyName.MatchString(name) {
		v.fail(key, quote(name), "must name a secret configuration key (letters, digits, '_')")
		return
	}
	for _, s := range v.secretKeys {
		if s == name {
			return
		}
	}
	v.secretKeys = append(v.secretKeys, name)
}
