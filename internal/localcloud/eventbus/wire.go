package eventbus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// The request and response shapes below are EventBridge's (API version 2015-10-07), with the
// members this endpoint implements. AWS JSON 1.1 sends timestamps as epoch seconds.

// epochTime is a timestamp on the wire: a JSON number of seconds since the epoch.
type epochTime struct{ time.Time }

func newEpoch(t time.Time) *epochTime { return &epochTime{t} }

func (t epochTime) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(t.UnixMilli())/1000, 'f', 3, 64), nil
}

func (t *epochTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		// Some clients send ISO 8601 strings; accept them as well.
		var s string
		if json.Unmarshal(b, &s) == nil {
			parsed, perr := time.Parse(time.RFC3339Nano, s)
			if perr == nil {
				t.Time = parsed.UTC()
				return nil
			}
		}
		return fmt.Errorf("timestamp %s is neither epoch seconds nor RFC 3339", b)
	}
	sec, frac := math.Modf(f)
	t.Time = time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC()
	return nil
}

// Event is an event as EventBridge delivers it to targets (the "event envelope").
type Event struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
	ReplayName string          `json:"replay-name,omitempty"`
}

type deadLetterConfig struct {
	Arn string `json:"Arn,omitempty"`
}

type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type createEventBusInput struct {
	Name             string            `json:"Name"`
	EventSourceName  string            `json:"EventSourceName,omitempty"`
	Description      string            `json:"Description,omitempty"`
	KmsKeyIdentifier string            `json:"KmsKeyIdentifier,omitempty"`
	DeadLetterConfig *deadLetterConfig `json:"DeadLetterConfig,omitempty"`
	Tags             []tag             `json:"Tags,omitempty"`
}

type createEventBusOutput struct {
	EventBusArn      string            `json:"EventBusArn"`
	Description      string            `json:"Description,omitempty"`
	DeadLetterConfig *deadLetterConfig `json:"DeadLetterConfig,omitempty"`
}

type nameInput struct {
	Name string `json:"Name"`
}

type describeEventBusOutput struct {
	Name             string            `json:"Name"`
	Arn              string            `json:"Arn"`
	Description      string            `json:"Description,omitempty"`
	DeadLetterConfig *deadLetterConfig `json:"DeadLetterConfig,omitempty"`
	CreationTime     *epochTime        `json:"CreationTime,omitempty"`
	LastModifiedTime *epochTime        `json:"LastModifiedTime,omitempty"`
}

type listInput struct {
	NamePrefix     string `json:"NamePrefix,omitempty"`
	EventBusName   string `json:"EventBusName,omitempty"`
	EventSourceArn string `json:"EventSourceArn,omitempty"`
	State          string `json:"State,omitempty"`
	NextToken      string `json:"NextToken,omitempty"`
	Limit          int    `json:"Limit,omitempty"`
}

type eventBusEntry struct {
	Name             string     `json:"Name"`
	Arn              string     `json:"Arn"`
	Description      string     `json:"Description,omitempty"`
	CreationTime     *epochTime `json:"CreationTime,omitempty"`
	LastModifiedTime *epochTime `json:"LastModifiedTime,omitempty"`
}

type listEventBusesOutput struct {
	EventBuses []eventBusEntry `json:"EventBuses"`
	NextToken  string          `json:"NextToken,omitempty"`
}

type putRuleInput struct {
	Name               string `json:"Name"`
	EventPattern       string `json:"EventPattern,omitempty"`
	ScheduleExpression string `json:"ScheduleExpression,omitempty"`
	State              string `json:"State,omitempty"`
	Description        string `json:"Description,omitempty"`
	RoleArn            string `json:"RoleArn,omitempty"`
	EventBusName       string `json:"EventBusName,omitempty"`
	Tags               []tag  `json:"Tags,omitempty"`
}

type putRuleOutput struct {
	RuleArn string `json:"RuleArn"`
}

type ruleInput struct {
	Name         string `json:"Name"`
	EventBusName string `json:"EventBusName,omitempty"`
	Force        bool   `json:"Force,omitempty"`
}

type ruleEntry struct {
	Name         string `json:"Name"`
	Arn          string `json:"Arn"`
	EventPattern string `json:"EventPattern,omitempty"`
	State        string `json:"State"`
	Description  string `json:"Description,omitempty"`
	RoleArn      string `json:"RoleArn,omitempty"`
	EventBusName string `json:"EventBusName"`
}

type describeRuleOutput struct {
	ruleEntry
	CreatedBy string `json:"CreatedBy,omitempty"`
}

type listRulesOutput struct {
	Rules     []ruleEntry `json:"Rules"`
	NextToken string      `json:"NextToken,omitempty"`
}

// Target is a rule's target as PutTargets receives it and ListTargetsByRule returns it.
type Target struct {
	ID               string            `json:"Id"`
	Arn              string            `json:"Arn"`
	RoleArn          string            `json:"RoleArn,omitempty"`
	Input            *string           `json:"Input,omitempty"`
	InputPath        *string           `json:"InputPath,omitempty"`
	InputTransformer *InputTransformer `json:"InputTransformer,omitempty"`
	SqsParameters    *SqsParameters    `json:"SqsParameters,omitempty"`
	HTTPParameters   *HTTPParameters   `json:"HttpParameters,omitempty"`
	DeadLetterConfig *deadLetterConfig `json:"DeadLetterConfig,omitempty"`
	RetryPolicy      *RetryPolicy      `json:"RetryPolicy,omitempty"`
}

// InputTransformer is a target's InputPathsMap and InputTemplate.
type InputTransformer struct {
	InputPathsMap map[string]string `json:"InputPathsMap,omitempty"`
	InputTemplate string            `json:"InputTemplate"`
}

// SqsParameters carries the MessageGroupId for FIFO queue targets.
type SqsParameters struct {
	MessageGroupID string `json:"MessageGroupId,omitempty"`
}

// HTTPParameters are the headers, query string and path parameters of an API destination call.
type HTTPParameters struct {
	HeaderParameters      map[string]string `json:"HeaderParameters,omitempty"`
	PathParameterValues   []string          `json:"PathParameterValues,omitempty"`
	QueryStringParameters map[string]string `json:"QueryStringParameters,omitempty"`
}

// RetryPolicy is a target's MaximumRetryAttempts and MaximumEventAgeInSeconds.
type RetryPolicy struct {
	MaximumRetryAttempts     *int `json:"MaximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int `json:"MaximumEventAgeInSeconds,omitempty"`
}

type putTargetsInput struct {
	Rule         string            `json:"Rule"`
	EventBusName string            `json:"EventBusName,omitempty"`
	Targets      []json.RawMessage `json:"Targets"`
}

type failedTarget struct {
	TargetID     string `json:"TargetId"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

type putTargetsOutput struct {
	FailedEntryCount int            `json:"FailedEntryCount"`
	FailedEntries    []failedTarget `json:"FailedEntries"`
}

type removeTargetsInput struct {
	Rule         string   `json:"Rule"`
	EventBusName string   `json:"EventBusName,omitempty"`
	IDs          []string `json:"Ids"`
	Force        bool     `json:"Force,omitempty"`
}

type listTargetsInput struct {
	Rule         string `json:"Rule"`
	EventBusName string `json:"EventBusName,omitempty"`
	NextToken    string `json:"NextToken,omitempty"`
	Limit        int    `json:"Limit,omitempty"`
}

type listTargetsOutput struct {
	Targets   []json.RawMessage `json:"Targets"`
	NextToken string            `json:"NextToken,omitempty"`
}

type putEventsEntry struct {
	Time         *epochTime `json:"Time,omitempty"`
	Source       *string    `json:"Source,omitempty"`
	Resources    []string   `json:"Resources,omitempty"`
	DetailType   *string    `json:"DetailType,omitempty"`
	Detail       *string    `json:"Detail,omitempty"`
	EventBusName string     `json:"EventBusName,omitempty"`
	TraceHeader  string     `json:"TraceHeader,omitempty"`
}

type putEventsInput struct {
	Entries    []putEventsEntry `json:"Entries"`
	EndpointID string           `json:"EndpointId,omitempty"`
}

type putEventsResultEntry struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

type putEventsOutput struct {
	FailedEntryCount int                    `json:"FailedEntryCount"`
	Entries          []putEventsResultEntry `json:"Entries"`
}

type testEventPatternInput struct {
	EventPattern string `json:"EventPattern"`
	Event        string `json:"Event"`
}

type testEventPatternOutput struct {
	Result bool `json:"Result"`
}

type createArchiveInput struct {
	ArchiveName    string `json:"ArchiveName"`
	EventSourceArn string `json:"EventSourceArn"`
	Description    string `json:"Description,omitempty"`
	EventPattern   string `json:"EventPattern,omitempty"`
	RetentionDays  int    `json:"RetentionDays,omitempty"`
}

type createArchiveOutput struct {
	ArchiveArn   string     `json:"ArchiveArn"`
	State        string     `json:"State"`
	StateReason  string     `json:"StateReason,omitempty"`
	CreationTime *epochTime `json:"CreationTime"`
}

type archiveNameInput struct {
	ArchiveName string `json:"ArchiveName"`
}

type archiveEntry struct {
	ArchiveName    string     `json:"ArchiveName"`
	EventSourceArn string     `json:"EventSourceArn"`
	State          string     `json:"State"`
	StateReason    string     `json:"StateReason,omitempty"`
	RetentionDays  int        `json:"RetentionDays"`
	SizeBytes      int64      `json:"SizeBytes"`
	EventCount     int64      `json:"EventCount"`
	CreationTime   *epochTime `json:"CreationTime"`
}

type describeArchiveOutput struct {
	ArchiveArn     string     `json:"ArchiveArn"`
	ArchiveName    string     `json:"ArchiveName"`
	EventSourceArn string     `json:"EventSourceArn"`
	Description    string     `json:"Description,omitempty"`
	EventPattern   string     `json:"EventPattern,omitempty"`
	State          string     `json:"State"`
	StateReason    string     `json:"StateReason,omitempty"`
	RetentionDays  int        `json:"RetentionDays"`
	SizeBytes      int64      `json:"SizeBytes"`
	EventCount     int64      `json:"EventCount"`
	CreationTime   *epochTime `json:"CreationTime"`
}

type listArchivesOutput struct {
	Archives  []archiveEntry `json:"Archives"`
	NextToken string         `json:"NextToken,omitempty"`
}

type replayDestination struct {
	Arn        string   `json:"Arn"`
	FilterArns []string `json:"FilterArns,omitempty"`
}

type startReplayInput struct {
	ReplayName     string             `json:"ReplayName"`
	Description    string             `json:"Description,omitempty"`
	EventSourceArn string             `json:"EventSourceArn"`
	EventStartTime *epochTime         `json:"EventStartTime"`
	EventEndTime   *epochTime         `json:"EventEndTime"`
	Destination    *replayDestination `json:"Destination"`
}

type startReplayOutput struct {
	ReplayArn       string     `json:"ReplayArn"`
	State           string     `json:"State"`
	StateReason     string     `json:"StateReason,omitempty"`
	ReplayStartTime *epochTime `json:"ReplayStartTime"`
}

type replayNameInput struct {
	ReplayName string `json:"ReplayName"`
}

type describeReplayOutput struct {
	ReplayName            string             `json:"ReplayName"`
	ReplayArn             string             `json:"ReplayArn"`
	Description           string             `json:"Description,omitempty"`
	State                 string             `json:"State"`
	StateReason           string             `json:"StateReason,omitempty"`
	EventSourceArn        string             `json:"EventSourceArn"`
	Destination           *replayDestination `json:"Destination"`
	EventStartTime        *epochTime         `json:"EventStartTime"`
	EventEndTime          *epochTime         `json:"EventEndTime"`
	EventLastReplayedTime *epochTime         `json:"EventLastReplayedTime,omitempty"`
	ReplayStartTime       *epochTime         `json:"ReplayStartTime,omitempty"`
	ReplayEndTime         *epochTime         `json:"ReplayEndTime,omitempty"`
}

type createConnectionInput struct {
	Name              string          `json:"Name"`
	Description       string          `json:"Description,omitempty"`
	AuthorizationType string          `json:"AuthorizationType"`
	AuthParameters    *connectionAuth `json:"AuthParameters"`
}

type connectionAuth struct {
	APIKeyAuthParameters *struct {
		APIKeyName  string `json:"ApiKeyName"`
		APIKeyValue string `json:"ApiKeyValue"`
	} `json:"ApiKeyAuthParameters,omitempty"`
	BasicAuthParameters *struct {
		Username string `json:"Username"`
		Password string `json:"Password"`
	} `json:"BasicAuthParameters,omitempty"`
	InvocationHTTPParameters *struct {
		HeaderParameters []struct {
			Key   string `json:"Key"`
			Value string `json:"Value"`
		} `json:"HeaderParameters,omitempty"`
		QueryStringParameters []struct {
			Key   string `json:"Key"`
			Value string `json:"Value"`
		} `json:"QueryStringParameters,omitempty"`
	} `json:"InvocationHttpParameters,omitempty"`
}

type connectionOutput struct {
	ConnectionArn    string     `json:"ConnectionArn"`
	ConnectionState  string     `json:"ConnectionState"`
	CreationTime     *epochTime `json:"CreationTime"`
	LastModifiedTime *epochTime `json:"LastModifiedTime"`
}

type createAPIDestinationInput struct {
	Name                         string `json:"Name"`
	Description                  string `json:"Description,omitempty"`
	ConnectionArn                string `json:"ConnectionArn"`
	InvocationEndpoint           string `json:"InvocationEndpoint"`
	HTTPMethod                   string `json:"HttpMethod"`
	InvocationRateLimitPerSecond int    `json:"InvocationRateLimitPerSecond,omitempty"`
}

type apiDestinationOutput struct {
	APIDestinationArn   string     `json:"ApiDestinationArn"`
	APIDestinationState string     `json:"ApiDestinationState"`
	CreationTime        *epochTime `json:"CreationTime"`
	LastModifiedTime    *epochTime `json:"LastModifiedTime"`
}

type describeAPIDestinationOutput struct {
	APIDestinationArn            string     `json:"ApiDestinationArn"`
	Name                         string     `json:"Name"`
	Description                  string     `json:"Description,omitempty"`
	APIDestinationState          string     `json:"ApiDestinationState"`
	ConnectionArn                string     `json:"ConnectionArn"`
	InvocationEndpoint           string     `json:"InvocationEndpoint"`
	HTTPMethod                   string     `json:"HttpMethod"`
	InvocationRateLimitPerSecond int        `json:"InvocationRateLimitPerSecond,omitempty"`
	CreationTime                 *epochTime `json:"CreationTime"`
	LastModifiedTime             *epochTime `json:"LastModifiedTime"`
}
