package hydrantinfra_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const typeKey = "aws:kms/key:Key"

// Both topics are encrypted with keys of their own (AWS's managed SNS key can be used neither
// by the consumers' roles nor by CloudWatch), and whoever publishes may use the key.
func TestTopicsAreEncryptedWithKeysTheirPublishersMayUse(t *testing.T) {
	p := run(t, func(ctx *pulumi.Context) error {
		r, err := hydrantinfra.NewRouter(ctx, "hydrant", routerArgs())
		if err != nil {
			return err
		}
		src := kinesisSource()
		src.DestinationKind, src.DestinationArn, src.DestinationKmsKeyArn = hydrantinfra.DestinationSNS, r.IntakeTopicArn, r.IntakeTopicKeyArn
		if _, err := hydrantinfra.NewStreamSource(ctx, "orders", src); err != nil {
			return err
		}
		_, err = hydrantinfra.NewOperations(ctx, "ops", &hydrantinfra.OperationsArgs{Watches: []hydrantinfra.Watch{r.Watch()}})
		return err
	})
	for topic, key := range map[string]string{"hydrant-intake-topic": "hydrant-intake-topic-key", "ops-alarms": "ops-alarms-key"} {
		k := find(t, p, typeKey, key)
		if k.Inputs["enableKeyRotation"] != true {
			t.Errorf("key %s does not rotate", key)
		}
		arn := "arn:aws:kms:us-east-1:123456789012:key/" + k.ID
		if got := find(t, p, "aws:sns/topic:Topic", topic).Inputs["kmsMasterKeyId"]; got == nil || got != arn {
			t.Errorf("topic %s kmsMasterKeyId = %v, want its key %s", topic, got, arn)
		}
	}

	consumer := statements(t, find(t, p, typeRolePolicy, "orders-consumer-policy").Inputs["policy"])
	keyArn := "arn:aws:kms:us-east-1:123456789012:key/" + find(t, p, typeKey, "hydrant-intake-topic-key").ID
	if got := consumer["EncryptFailures"]; !reflect.DeepEqual(got.Action, []string{"kms:GenerateDataKey", "kms:Decrypt"}) ||
		!reflect.DeepEqual(got.Resource, []string{keyArn}) {
		t.Errorf("the consumer publishing to the encrypted topic needs its key: %+v", got)
	}

	policy := statements(t, find(t, p, "aws:kms/keyPolicy:KeyPolicy", "ops-alarms-key-policy").Inputs["policy"])
	admin, cw := policy["AccountAdministersTheKey"], policy["CloudWatchAlarmsPublish"]
	if !reflect.DeepEqual(admin.Principal, map[string]any{"AWS": "arn:aws:iam::123456789012:root"}) {
		t.Errorf("the account must keep control of the key: %+v", admin)
	}
	if !reflect.DeepEqual(cw.Principal, map[string]any{"Service": "cloudwatch.amazonaws.com"}) ||
		!reflect.DeepEqual(cw.Action, []string{"kms:Decrypt", "kms:GenerateDataKey*"}) ||
		!reflect.DeepEqual(cw.Condition["StringEquals"]["aws:SourceAccount"], []string{"123456789012"}) {
		t.Errorf("CloudWatch must be able to publish alarms, for this account only: %+v", cw)
	}
}

func TestStreamSourceWithoutADestinationKeyGrantsNoKMS(t *testing.T) {
	p := run(t, func(ctx *pulumi.Context) error {
		_, err := hydrantinfra.NewStreamSource(ctx, "orders", kinesisSource())
		return err
	})
	doc := find(t, p, typeRolePolicy, "orders-consumer-policy").Inputs["policy"].(string)
	if strings.Contains(doc, "kms:GenerateDataKey") {
		t.Errorf("kms:GenerateDataKey granted without a destination key: %s", doc)
	}
}
