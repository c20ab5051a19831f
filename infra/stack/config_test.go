package stack_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/infra/plan"
	"github.com/hydrant-dev/hydrant/infra/stack"
)

type mapConfig map[string]string

func (m mapConfig) GetConfig(key string) (string, bool) {
	v, ok := m[key]
	return v, ok
}

const okTarget = `{"name":"q","kind":"sqs","arn":"arn:aws:sqs:us-east-1:123456789012:q"}`
const okStream = `{"arn":"arn:aws:kinesis:us-east-1:123456789012:stream/orders"}`

func team(streams, targets string) string {
	return `[{"name":"billing","subscriptions":[{"name":"main","streams":[` + streams + `],"targets":[` + targets + `]}]}]`
}

func TestLoadConfigErrorsNameKeyAndValue(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config mapConfig
		key    string
		value  string
	}{
		{"malformed stream ARN", mapConfig{"hydrant:teams": team(`{"arn":"arn:aws:kinesis:us-east-1:123456789012:orders"}`, okTarget)},
			"hydrant:teams[0].subscriptions[0].streams[0].arn", `"arn:aws:kinesis:us-east-1:123456789012:orders"`},
		{"stream source ARN", mapConfig{"hydrant:streamSources": `[{"name":"o","streamArn":"arn:aws:sqs:us-east-1:123456789012:q","consumerFunctionName":"f","consumerRoleName":"r"}]`},
			"hydrant:streamSources[0].streamArn", `"arn:aws:sqs:us-east-1:123456789012:q"`},
		{"subscription without targets", mapConfig{"hydrant:teams": team(okStream, "")},
			"hydrant:teams[0].subscriptions[0].targets", "[]"},
		{"unknown target kind", mapConfig{"hydrant:teams": team(okStream, `{"name":"k","kind":"kafka","arn":"arn:aws:kafka:us-east-1:123456789012:cluster/x"}`)},
			"hydrant:teams[0].subscriptions[0].targets[0].kind", `"kafka"`},
		{"target ARN of the wrong service", mapConfig{"hydrant:teams": team(okStream, `{"name":"q","kind":"sqs","arn":"arn:aws:sns:us-east-1:123456789012:t"}`)},
			"hydrant:teams[0].subscriptions[0].targets[0].arn", `"arn:aws:sns:us-east-1:123456789012:t"`},
		{"two stream selectors in one", mapConfig{"hydrant:teams": team(`{"arn":"arn:aws:kinesis:us-east-1:123456789012:stream/a","prefix":"arn:aws:kinesis:"}`, okTarget)},
			"hydrant:teams[0].subscriptions[0].streams[0]", `"prefix":"arn:aws:kinesis:"`},
		{"unknown stream source", mapConfig{"hydrant:teams": team(`{"streamSource":"nope"}`, okTarget)},
			"hydrant:teams[0].subscriptions[0].streams[0].streamSource", `"nope"`},
		{"broad prefix", mapConfig{"hydrant:teams": team(`{"prefix":"arn:"}`, okTarget)},
			"hydrant:teams[0].subscriptions[0].streams[0].prefix", `"arn:"`},
		{"infinite retries", mapConfig{"hydrant:streamSources": `[{"name":"o","streamArn":"arn:aws:kinesis:us-east-1:123456789012:stream/o","consumerFunctionName":"f","consumerRoleName":"r","maximumRetryAttempts":-1}]`},
			"hydrant:streamSources[0].maximumRetryAttempts", "-1"},
		{"team name too long", mapConfig{"hydrant:teams": `[{"name":"a-very-long-team-name-x","subscriptions":[{"name":"m","streams":[` + okStream + `],"targets":[` + okTarget + `]}]}]`},
			"hydrant:teams[0].name", `"a-very-long-team-name-x"`},
		{"unknown key", mapConfig{"hydrant:router": `{"reservedConcurency":5}`},
			"hydrant:router", `"{\"reservedConcurency\":5}"`},
		{"not JSON", mapConfig{"hydrant:teams": `billing`},
			"hydrant:teams", `"billing"`},
		{"more messages at once than a batch holds", mapConfig{"hydrant:router": `{"messageConcurrency":11}`},
			"hydrant:router.messageConcurrency", "11"},
		{"a deadline margin as long as the timeout", mapConfig{"hydrant:router": `{"hydrateTimeoutSeconds":30,"deadlineMarginSeconds":30}`},
			"hydrant:router.deadlineMarginSeconds", "30"},
		{"bad account", mapConfig{"hydrant:router": `{"ruleCreatorAccounts":["12"]}`},
			"hydrant:router.ruleCreatorAccounts[0]", `"12"`},
		{"encryption neither create nor a key ARN", mapConfig{"hydrant:router": `{"encryption":{"bus":"yes"}}`},
			"hydrant:router.encryption.bus", `"yes"`},
		{"encryption with an alias", mapConfig{"hydrant:router": `{"encryption":{"buckets":"arn:aws:kms:us-east-1:123456789012:alias/mine"}}`},
			"hydrant:router.encryption.buckets", `"arn:aws:kms:us-east-1:123456789012:alias/mine"`},
		{"former opt-in name", mapConfig{"hydrant:router": `{"subscriberAccounts":["111122223333"]}`},
			"hydrant:router.subscriberAccounts", "can see every stream"},
		{"inbox not a bus ARN", mapConfig{"hydrant:teams": `[{"name":"p","inbox":"arn:aws:sqs:us-east-1:222233334444:q","subscriptions":[{"name":"m","streams":[` + okStream + `]}]}]`},
			"hydrant:teams[0].inbox", `"arn:aws:sqs:us-east-1:222233334444:q"`},
		{"inbox team with targets", mapConfig{"hydrant:teams": `[{"name":"p","inbox":"arn:aws:events:us-east-1:222233334444:event-bus/p","subscriptions":[{"name":"m","streams":[` + okStream + `],"targets":[` + okTarget + `]}]}]`},
			"hydrant:teams[0].subscriptions[0].targets", "the team's inbox is this subscription's only target"},
		{"inbox team with two subscriptions", mapConfig{"hydrant:teams": `[{"name":"p","inbox":"arn:aws:events:us-east-1:222233334444:event-bus/p","subscriptions":[{"name":"m","streams":[` + okStream + `]},{"name":"n","streams":[` + okStream + `]}]}]`},
			"hydrant:teams[0].subscriptions", "one subscription"},
		{"inbox team with a prefix too wide to grant", mapConfig{"hydrant:teams": `[{"name":"p","inbox":"arn:aws:events:us-east-1:222233334444:event-bus/p","subscriptions":[{"name":"m","streams":[{"prefix":"arn:aws:kinesis:us-east-1:"}]}]}]`},
			"hydrant:teams[0].subscriptions[0].streams[0].prefix", "name the partition, region and account"},
		// A careless operator points a same-account team's bus target at another team's inbox,
		// or gives two teams one inbox: the inbox team's rules (which match everything on it)
		// would get the other team's streams.
		{"a bus target that is another team's inbox", mapConfig{"hydrant:teams": `[{"name":"b","subscriptions":[{"name":"m","streams":[` + okStream + `],"targets":[{"name":"t","kind":"eventbus","arn":"arn:aws:events:us-east-1:222233334444:event-bus/p"}]}]},` +
			`{"name":"p","inbox":"arn:aws:events:us-east-1:222233334444:event-bus/p","subscriptions":[{"name":"m","streams":[{"arn":"arn:aws:kinesis:us-east-1:123456789012:stream/pay"}]}]}]`},
			"hydrant:teams[0].subscriptions[0].targets[0].arn", `"arn:aws:events:us-east-1:222233334444:event-bus/p": team p's inbox`},
		{"one inbox for two teams", mapConfig{"hydrant:teams": `[{"name":"p","inbox":"arn:aws:events:us-east-1:222233334444:event-bus/p","subscriptions":[{"name":"m","streams":[` + okStream + `]}]},` +
			`{"name":"r","inbox":"arn:aws:events:us-east-1:222233334444:event-bus/p","subscriptions":[{"name":"m","streams":[{"arn":"arn:aws:kinesis:us-east-1:123456789012:stream/pay"}]}]}]`},
			"hydrant:teams[1].inbox", `"arn:aws:events:us-east-1:222233334444:event-bus/p": team p's inbox`},
		// An object must outlive what refers to it: an archived or queued event naming an
		// expired claim-check object has lost its record's data, with no error until someone
		// replays or redrives it.
		{"claim-checks expire before the S3 archive's events", mapConfig{"hydrant:router": `{"claimCheckRetentionDays":30,"archiveObjectRetentionDays":365}`},
			"hydrant:router.claimCheckRetentionDays", "30: shorter than the S3 archive keeps events (archiveObjectRetentionDays 365)"},
		{"claim-checks expire, the S3 archive keeps events forever", mapConfig{"hydrant:router": `{"claimCheckRetentionDays":30}`},
			"hydrant:router.claimCheckRetentionDays", "30: shorter than the S3 archive keeps events (archiveObjectRetentionDays 0, forever)"},
		{"claim-checks expire before the event archive's events", mapConfig{"hydrant:router": `{"claimCheckRetentionDays":20,"archiveObjectRetentionDays":20,"archiveRetentionDays":90}`},
			"hydrant:router.claimCheckRetentionDays", "20: shorter than the event archive keeps events (archiveRetentionDays 90)"},
		{"claim-checks expire before the queues' messages", mapConfig{"hydrant:router": `{"claimCheckRetentionDays":7,"archiveObjectRetentionDays":7,"archiveRetentionDays":7}`},
			"hydrant:router.claimCheckRetentionDays", "7: shorter than the queues keep events (14 days"},
		{"failure objects expire before their notifications", mapConfig{"hydrant:router": `{"failureObjectRetentionDays":3}`},
			"hydrant:router.failureObjectRetentionDays", "3: shorter than the intake queue and its DLQ keep"},
		{"detail pattern not an object", mapConfig{"hydrant:teams": `[{"name":"b","subscriptions":[{"name":"m","streams":[` + okStream + `],"detailPattern":[1],"targets":[` + okTarget + `]}]}]`},
			"hydrant:teams[0].subscriptions[0].detailPattern", `"[1]"`},
		{"missing secret", mapConfig{"hydrant:teams": team(okStream, `{"name":"w","kind":"apidestination","apiDestination":{"endpoint":"https://x.example","httpMethod":"POST","authorization":"API_KEY","apiKeyName":"k","apiKeySecret":"hookKey"}}`)},
			"hydrant:hookKey", "(unset)"},
		{"http endpoint", mapConfig{"hydrant:hookKey": "s", "hydrant:teams": team(okStream, `{"name":"w","kind":"apidestination","apiDestination":{"endpoint":"http://x.example","httpMethod":"POST","authorization":"API_KEY","apiKeyName":"k","apiKeySecret":"hookKey"}}`)},
			"hydrant:teams[0].subscriptions[0].targets[0].apiDestination.endpoint", `"http://x.example"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := stack.LoadConfig(tc.config)
			if err == nil {
				t.Fatal("no error")
			}
			var ce *stack.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *ConfigError", err)
			}
			if !strings.Contains(err.Error(), tc.key+" = ") || !strings.Contains(err.Error(), tc.value) {
				t.Fatalf("error %q does not name key %s and value %s", err, tc.key, tc.value)
			}
		})
	}
}

func TestLoadConfigReportsEveryProblem(t *testing.T) {
	_, err := stack.LoadConfig(mapConfig{
		"hydrant:router": `{"intakeBatchSize":20,"logLevel":"loud"}`,
		"hydrant:teams":  team(`{"arn":"x"}`, `{"name":"q","kind":"ftp"}`),
	})
	for _, want := range []string{"intakeBatchSize = 20", `logLevel = "loud"`, `streams[0].arn = "x"`, `kind = "ftp"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not report %s", err, want)
		}
	}
}

// TestProgramReturnsConfigErrors: invalid configuration fails the run with the error, not a
// panic.
func TestProgramReturnsConfigErrors(t *testing.T) {
	_, err := plan.Run("hydrant", "bad", map[string]string{"hydrant:teams": team(okStream, "")}, nil, stack.Program(code))
	if err == nil || !strings.Contains(err.Error(), "hydrant:teams[0].subscriptions[0].targets = []") {
		t.Fatalf("error %v", err)
	}
}

func TestSecretsStaySecret(t *testing.T) {
	config := map[string]string{
		"hydrant:hookKey": "s3cr3t-value",
		"hydrant:teams":   team(okStream, `{"name":"w","kind":"apidestination","apiDestination":{"endpoint":"https://x.example","httpMethod":"POST","authorization":"API_KEY","apiKeyName":"k","apiKeySecret":"hookKey"}}`),
	}
	rec, err := plan.Run("hydrant", "secret", config, []string{"hydrant:hookKey"}, stack.Program(code))
	if err != nil {
		t.Fatal(err)
	}
	raw, ok := rec.Raw("aws:cloudwatch/eventConnection:EventConnection", "billing-main-w-conn")
	if !ok {
		t.Fatal("no connection")
	}
	v := raw.Inputs["authParameters"].ObjectValue()["apiKey"].ObjectValue()["value"]
	if !v.IsSecret() || v.SecretValue().Element.StringValue() != "s3cr3t-value" {
		t.Errorf("API key sent to the engine as %v, want the configured value marked secret", v)
	}
	out, err := rec.Plan().JSON()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "s3cr3t-value") {
		t.Error("the plan shows the secret")
	}
}

// Retentions that keep every object as long as what refers to it load; so does a demo stack's
// week (a demo lives minutes, its queues are drained by the demo).
func TestLoadConfigRetentionsThatKeepTheData(t *testing.T) {
	for _, router := range []string{
		`{"claimCheckRetentionDays":365,"archiveObjectRetentionDays":365,"failureObjectRetentionDays":14}`,
		`{"claimCheckRetentionDays":0,"archiveObjectRetentionDays":365,"archiveRetentionDays":0}`,
		`{"claimCheckRetentionDays":400,"archiveObjectRetentionDays":365,"archiveRetentionDays":30}`,
	} {
		if _, err := stack.LoadConfig(mapConfig{"hydrant:router": router}); err != nil {
			t.Errorf("%s: %v", router, err)
		}
	}
	demo := mapConfig{"hydrant:demo": `{"enabled":true}`, "hydrant:router": `{"archiveRetentionDays":7,"failureObjectRetentionDays":7,"claimCheckRetentionDays":7,"archiveObjectRetentionDays":7}`}
	if _, err := stack.LoadConfig(demo); err != nil {
		t.Errorf("demo stack: %v", err)
	}
}
