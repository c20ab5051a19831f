package hydrantinfra_test

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/hydrant-dev/hydrant/infra/plan"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	typeKeyPolicy = "aws:kms/keyPolicy:KeyPolicy"
	broughtKey    = "arn:aws:kms:us-east-1:123456789012:key/0000aaaa-bbbb-cccc-dddd-eeeeffff0000"
	accountRoot   = "arn:aws:iam::123456789012:root"
	teamAccount   = "210987654321"
)

var routerBuckets = []string{"hydrant-failures", "hydrant-claim-checks", "hydrant-archive"}

func routerWithEncryption(t *testing.T, enc hydrantinfra.Encryption) plan.Plan {
	t.Helper()
	return run(t, func(ctx *pulumi.Context) error {
		args := routerArgs()
		args.Encryption = enc
		args.ClaimCheckReaders = []hydrantinfra.ClaimCheckReader{{Account: teamAccount, Streams: []hydrantinfra.StreamSelector{
			{ARN: pulumi.String("arn:aws:kinesis:us-east-1:123456789012:stream/orders")},
		}}}
		_, err := hydrantinfra.NewRouter(ctx, "hydrant", args)
		return err
	})
}

func keyArnOf(t *testing.T, p plan.Plan, name string) string {
	t.Helper()
	return "arn:aws:kms:us-east-1:123456789012:key/" + find(t, p, typeKey, name).ID
}

func bucketSSE(t *testing.T, p plan.Plan, bucket string) map[string]any {
	t.Helper()
	rules, _ := find(t, p, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", bucket+"-sse").Inputs["rules"].([]any)
	if len(rules) != 1 {
		t.Fatalf("bucket %s: %d encryption rules", bucket, len(rules))
	}
	rule := rules[0].(map[string]any)
	if rule["bucketKeyEnabled"] != true {
		t.Errorf("bucket %s: S3 Bucket Keys off", bucket)
	}
	return rule["applyServerSideEncryptionByDefault"].(map[string]any)
}

// principals lists each statement's principal as "Kind value", sorted.
func principals(stmts map[string]stmt) []string {
	var out []string
	for _, s := range stmts {
		for kind, v := range s.Principal.(map[string]any) {
			out = append(out, kind+" "+v.(string))
		}
	}
	sort.Strings(out)
	return out
}

// By default every part keeps its AWS-owned key and the stack creates no key for them.
func TestEncryptionDefaultsToAWSOwnedKeys(t *testing.T) {
	p := routerWithEncryption(t, hydrantinfra.Encryption{})
	if got := find(t, p, "aws:cloudwatch/eventBus:EventBus", "hydrant-bus").Inputs["kmsKeyIdentifier"]; got != nil {
		t.Errorf("bus kmsKeyIdentifier = %v, want none", got)
	}
	if got := find(t, p, "aws:cloudwatch/eventArchive:EventArchive", "hydrant-archive").Inputs["kmsKeyIdentifier"]; got != nil {
		t.Errorf("archive kmsKeyIdentifier = %v, want none", got)
	}
	fh := find(t, p, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "hydrant-archive-delivery").Inputs
	if get(fh, "serverSideEncryption.keyType") != "AWS_OWNED_CMK" || get(fh, "serverSideEncryption.keyArn") != nil {
		t.Errorf("firehose encryption = %v, want AWS_OWNED_CMK", fh["serverSideEncryption"])
	}
	for _, b := range routerBuckets {
		if sse := bucketSSE(t, p, b); sse["sseAlgorithm"] != "AES256" || sse["kmsMasterKeyId"] != nil {
			t.Errorf("bucket %s encryption = %v, want SSE-S3", b, sse)
		}
	}
	for _, k := range p.OfType(typeKey) {
		if k.Name != "hydrant-intake-topic-key" {
			t.Errorf("key %s created without being asked for", k.Name)
		}
	}
	if doc := find(t, p, typeRolePolicy, "hydrant-hydrate-policy").Inputs["policy"].(string); strings.Contains(doc, "kms:") {
		t.Errorf("hydrate role granted KMS without a key: %s", doc)
	}
	if got := find(t, p, typeRolePolicy, "hydrant-firehose-policy").Inputs["policy"].(string); strings.Contains(got, "kms:") {
		t.Errorf("Firehose role granted KMS without a key: %s", got)
	}
}

// With keys the stack creates, each part gets its key, and each key policy admits exactly
// the account (administering the key) and the services and roles that use it.
func TestEncryptionWithCreatedKeys(t *testing.T) {
	p := routerWithEncryption(t, hydrantinfra.Encryption{Bus: "create", Archive: "create", Firehose: "create", Buckets: "create"})
	busKey, archiveKey := keyArnOf(t, p, "hydrant-bus-key"), keyArnOf(t, p, "hydrant-archive-key")
	firehoseKey, bucketKey := keyArnOf(t, p, "hydrant-firehose-key"), keyArnOf(t, p, "hydrant-bucket-key")
	for _, k := range []string{"hydrant-bus-key", "hydrant-archive-key", "hydrant-firehose-key", "hydrant-bucket-key"} {
		if find(t, p, typeKey, k).Inputs["enableKeyRotation"] != true {
			t.Errorf("key %s does not rotate", k)
		}
	}
	if got := find(t, p, "aws:cloudwatch/eventBus:EventBus", "hydrant-bus").Inputs["kmsKeyIdentifier"]; got != busKey {
		t.Errorf("bus kmsKeyIdentifier = %v, want %s", got, busKey)
	}
	if got := find(t, p, "aws:cloudwatch/eventArchive:EventArchive", "hydrant-archive").Inputs["kmsKeyIdentifier"]; got != archiveKey {
		t.Errorf("archive kmsKeyIdentifier = %v, want %s", got, archiveKey)
	}
	fh := find(t, p, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "hydrant-archive-delivery").Inputs
	if get(fh, "serverSideEncryption.keyType") != "CUSTOMER_MANAGED_CMK" || get(fh, "serverSideEncryption.keyArn") != firehoseKey {
		t.Errorf("firehose encryption = %v, want CUSTOMER_MANAGED_CMK %s", fh["serverSideEncryption"], firehoseKey)
	}
	for _, b := range routerBuckets {
		if sse := bucketSSE(t, p, b); sse["sseAlgorithm"] != "aws:kms" || sse["kmsMasterKeyId"] != bucketKey {
			t.Errorf("bucket %s encryption = %v, want SSE-KMS with %s", b, sse, bucketKey)
		}
	}

	// EventBridge, for this account only, on the bus's and the archive's keys.
	for _, name := range []string{"hydrant-bus-key-policy", "hydrant-archive-key-policy"} {
		pol := statements(t, find(t, p, typeKeyPolicy, name).Inputs["policy"])
		if got, want := principals(pol), []string{"AWS " + accountRoot, "Service events.amazonaws.com"}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s principals = %v, want %v", name, got, want)
		}
		eb := pol["EventBridgeUsesKey"]
		if !reflect.DeepEqual(eb.Action, []string{"kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"}) ||
			!reflect.DeepEqual(eb.Condition["StringEquals"]["aws:SourceAccount"], []string{"123456789012"}) {
			t.Errorf("%s: EventBridge statement %+v", name, eb)
		}
	}
	// Firehose works through grants: the account alone.
	if got := principals(statements(t, find(t, p, typeKeyPolicy, "hydrant-firehose-key-policy").Inputs["policy"])); !reflect.DeepEqual(got, []string{"AWS " + accountRoot}) {
		t.Errorf("firehose key principals = %v, want the account only", got)
	}
	// The buckets' key: each role for its own bucket, the team account for the claim-checks.
	pol := statements(t, find(t, p, typeKeyPolicy, "hydrant-bucket-key-policy").Inputs["policy"])
	bucketArn := func(name string) string { return "arn:aws:s3:::" + find(t, p, typeBucket, name).ID }
	hydrateRole, firehoseRole := "arn:aws:iam::123456789012:role/hydrant-hydrate-role", "arn:aws:iam::123456789012:role/hydrant-firehose-role"
	want := map[string]struct {
		principal, bucket string
		actions           []string
	}{
		"HydrateReadsFailures":          {hydrateRole, "hydrant-failures", []string{"kms:Decrypt"}},
		"HydrateWritesClaimChecks":      {hydrateRole, "hydrant-claim-checks", []string{"kms:Decrypt", "kms:GenerateDataKey"}},
		"FirehoseWritesArchive":         {firehoseRole, "hydrant-archive", []string{"kms:Decrypt", "kms:GenerateDataKey"}},
		"ReadClaimChecks" + teamAccount: {"arn:aws:iam::" + teamAccount + ":root", "hydrant-claim-checks", []string{"kms:Decrypt"}},
	}
	if len(pol) != len(want)+1 || !reflect.DeepEqual(pol["AccountAdministersTheKey"].Principal, map[string]any{"AWS": accountRoot}) {
		t.Errorf("bucket key policy has %d statements, want the account's and %d: %v", len(pol), len(want), pol)
	}
	for sid, w := range want {
		s, ok := pol[sid]
		if !ok {
			t.Errorf("bucket key policy lacks %s", sid)
			continue
		}
		if !reflect.DeepEqual(s.Principal, map[string]any{"AWS": w.principal}) || !reflect.DeepEqual(s.Action, w.actions) ||
			!reflect.DeepEqual(s.Condition["StringEquals"]["kms:EncryptionContext:aws:s3:arn"], []string{bucketArn(w.bucket)}) {
			t.Errorf("bucket key %s = %+v, want %s %v on %s", sid, s, w.principal, w.actions, w.bucket)
		}
	}
	// The roles' own policies grant the keys' use (the key policies delegate to IAM).
	hydrate := statements(t, find(t, p, typeRolePolicy, "hydrant-hydrate-policy").Inputs["policy"])
	if s := hydrate["EncryptEvents"]; !reflect.DeepEqual(s.Action, []string{"kms:GenerateDataKey"}) || !reflect.DeepEqual(s.Resource, []string{busKey}) {
		t.Errorf("hydrate role EncryptEvents = %+v, want GenerateDataKey on %s", s, busKey)
	}
	if s := hydrate["UseBucketKey"]; !reflect.DeepEqual(s.Resource, []string{bucketKey}) {
		t.Errorf("hydrate role UseBucketKey = %+v, want %s", s, bucketKey)
	}
	if s := statements(t, find(t, p, typeRolePolicy, "hydrant-firehose-policy").Inputs["policy"])["UseBucketKey"]; !reflect.DeepEqual(s.Resource, []string{bucketKey}) {
		t.Errorf("firehose role UseBucketKey = %+v, want %s", s, bucketKey)
	}
}

// Brought keys are used as given; the stack creates no key and writes no key policy.
func TestEncryptionWithBroughtKeys(t *testing.T) {
	p := routerWithEncryption(t, hydrantinfra.Encryption{Bus: broughtKey, Archive: broughtKey, Firehose: broughtKey, Buckets: broughtKey})
	if got := find(t, p, "aws:cloudwatch/eventBus:EventBus", "hydrant-bus").Inputs["kmsKeyIdentifier"]; got != broughtKey {
		t.Errorf("bus kmsKeyIdentifier = %v", got)
	}
	if got := find(t, p, "aws:cloudwatch/eventArchive:EventArchive", "hydrant-archive").Inputs["kmsKeyIdentifier"]; got != broughtKey {
		t.Errorf("archive kmsKeyIdentifier = %v", got)
	}
	fh := find(t, p, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "hydrant-archive-delivery").Inputs
	if get(fh, "serverSideEncryption.keyArn") != broughtKey {
		t.Errorf("firehose encryption = %v", fh["serverSideEncryption"])
	}
	for _, b := range routerBuckets {
		if sse := bucketSSE(t, p, b); sse["kmsMasterKeyId"] != broughtKey {
			t.Errorf("bucket %s encryption = %v", b, sse)
		}
	}
	if n := len(p.OfType(typeKey)); n != 1 { // the intake topic's own
		t.Errorf("%d keys created, want only the intake topic's", n)
	}
	if s := statements(t, find(t, p, typeRolePolicy, "hydrant-hydrate-policy").Inputs["policy"])["EncryptEvents"]; !reflect.DeepEqual(s.Resource, []string{broughtKey}) {
		t.Errorf("hydrate role EncryptEvents = %+v", s)
	}
}

func TestEncryptionRefusesWhatIsNotAKey(t *testing.T) {
	for _, bad := range []string{"yes", "arn:aws:kms:us-east-1:123456789012:alias/mine", "arn:aws:s3:::bucket", "arn:aws:kms:us-east-1:123:key/x", "arn:aws:kms:us-east-1:123456789012:key/"} {
		args := routerArgs()
		args.Encryption.Buckets = bad
		err := runErr(func(ctx *pulumi.Context) error {
			_, err := hydrantinfra.NewRouter(ctx, "hydrant", args)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "Encryption.Buckets") || !strings.Contains(err.Error(), bad) {
			t.Errorf("%q: err = %v, want one naming Encryption.Buckets and the value", bad, err)
		}
	}
}
