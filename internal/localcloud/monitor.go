package localcloud

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// monitor is the pulumi.MockResourceMonitor that materialises resources on the local cloud.
type monitor struct {
	cloud *Cloud
	ctx   context.Context
	// team is the team whose own stack is deployed (DeployTeam); "" for the central stack.
	team string
}

// regArgs is one registration as the materialisers see it.
type regArgs struct {
	Type   string
	Name   string // logical name
	Parent string
	In     props
}

// created is what a materialiser made: the id the engine gets, the outputs beyond the inputs,
// and the listing.
type created struct {
	id      string
	outputs map[string]any // strings, numbers, bools, maps: converted to properties
	res     Resource
}

type materialiser func(c *Cloud, ctx context.Context, a regArgs) (created, error)

// The resource types this monitor knows (materialisers and acceptedTypes) are the ones
// infra/plan's offline recorder knows (plan.KnownTypes, infra/plan/outputs.go); a type added
// here is added there too, and TestMonitorsKnowTheSameTypes checks it.
//
// acceptedTypes are listed but not enforced: the emulators have no IAM, no CloudWatch and no
// resource policies. arn is how to name one (after the service and region/account prefix).
var acceptedTypes = map[string]string{
	"aws:iam/role:Role":                                                                      "role",
	"aws:iam/rolePolicy:RolePolicy":                                                          "",
	"aws:iam/policy:Policy":                                                                  "policy",
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":                                      "",
	"aws:cloudwatch/logGroup:LogGroup":                                                       "log-group",
	"aws:cloudwatch/metricAlarm:MetricAlarm":                                                 "alarm",
	"aws:cloudwatch/dashboard:Dashboard":                                                     "dashboard",
	"aws:cloudwatch/eventBusPolicy:EventBusPolicy":                                           "",
	"aws:sqs/queuePolicy:QueuePolicy":                                                        "",
	"aws:sns/topicPolicy:TopicPolicy":                                                        "",
	"aws:s3/bucketPolicy:BucketPolicy":                                                       "",
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":                                 "",
	"aws:s3/bucketOwnershipControls:BucketOwnershipControls":                                 "",
	"aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "",
	"aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration":                       "",
	"aws:lambda/permission:Permission":                                                       "",
	"aws:kms/key:Key":                                                                        "key",
	"aws:kms/keyPolicy:KeyPolicy":                                                            "",
}

func (m *monitor) materialisers() map[string]materialiser {
	return map[string]materialiser{
		"aws:sqs/queue:Queue":                                       (*Cloud).createQueue,
		"aws:sns/topic:Topic":                                       (*Cloud).createTopic,
		"aws:sns/topicSubscription:TopicSubscription":               (*Cloud).createSubscription,
		"aws:s3/bucket:Bucket":                                      (*Cloud).createBucket,
		"aws:s3/bucketNotification:BucketNotification":              (*Cloud).createBucketNotification,
		"aws:kinesis/stream:Stream":                                 (*Cloud).createStream,
		"aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": (*Cloud).createDeliveryStream,
		"aws:dynamodb/table:Table":                                  (*Cloud).createTable,
		"aws:cloudwatch/eventBus:EventBus":                          (*Cloud).createEventBus,
		"aws:cloudwatch/eventRule:EventRule":                        (*Cloud).createEventRule,
		"aws:cloudwatch/eventTarget:EventTarget":                    (*Cloud).createEventTarget,
		"aws:cloudwatch/eventArchive:EventArchive":                  (*Cloud).createEventArchive,
		"aws:cloudwatch/eventConnection:EventConnection":            (*Cloud).createEventConnection,
		"aws:cloudwatch/eventApiDestination:EventApiDestination":    (*Cloud).createAPIDestination,
		"aws:schemas/registry:Registry":                             (*Cloud).createRegistry,
		"aws:schemas/schema:Schema":                                 (*Cloud).createSchema,
		"aws:lambda/function:Function":                              (*Cloud).createFunction,
		"aws:lambda/eventSourceMapping:EventSourceMapping":          (*Cloud).createMapping,
	}
}

// NewResource creates the resource on the local cloud and answers with its outputs.
func (m *monitor) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	parent := ""
	if args.RegisterRPC != nil && args.RegisterRPC.GetParent() != "" {
		urn := args.RegisterRPC.GetParent()
		parent = urn[strings.LastIndex(urn, "::")+2:]
	}
	a := regArgs{Type: args.TypeToken, Name: args.Name, Parent: parent, In: props(args.Inputs)}
	c := m.cloud
	if !args.Custom {
		c.record(Resource{Type: a.Type, Name: a.Name, Parent: parent, Mode: ModeComponent, Team: m.team})
		return "", args.Inputs, nil
	}
	if strings.HasPrefix(a.Type, "pulumi:providers:") {
		c.record(Resource{Type: a.Type, Name: a.Name, Parent: parent, Mode: ModeAccepted, Note: "provider: the local cloud stands in for it", Team: m.team})
		return a.Name, args.Inputs, nil
	}
	var cr created
	var err error
	if arnKind, ok := acceptedTypes[a.Type]; ok {
		cr = c.accept(a, arnKind)
	} else if f, ok := m.materialisers()[a.Type]; ok {
		cr, err = f(c, m.ctx, a)
		if err != nil {
			return "", nil, fmt.Errorf("local cloud: %s %s: %w", a.Type, a.Name, err)
		}
	} else {
		return "", nil, fmt.Errorf("local cloud: resource type %s (%s) is not supported locally; remove it from the local stack or teach internal/localcloud to run it", a.Type, a.Name)
	}
	cr.res.Type, cr.res.Name, cr.res.Parent, cr.res.Team = a.Type, a.Name, parent, m.team
	if cr.res.ID == "" {
		cr.res.ID = cr.id
	}
	if cr.res.Mode == "" {
		cr.res.Mode = ModeCreated
	}
	c.record(cr.res)
	out := args.Inputs.Copy()
	for k, v := range cr.outputs {
		out[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
	}
	return cr.id, out, nil
}

// Call refuses provider functions (invokes) by name: the program uses none, and an answer
// made up here could wire something wrongly.
func (m *monitor) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, fmt.Errorf("local cloud: function %s is not supported locally", args.Token)
}

// accept lists a resource the local cloud does not enforce, with an ARN in AWS's shape.
func (c *Cloud) accept(a regArgs, arnKind string) created {
	name := a.In.str("name")
	if name == "" {
		name = a.Name
		if arnKind != "" {
			name = physicalName(a, "name", 64, false)
		}
	}
	out := map[string]any{}
	id := name
	if _, set := a.In.get("name"); !set && arnKind != "" {
		out["name"] = name
	}
	if arnKind != "" {
		var arn string
		switch service(a.Type) {
		case "iam":
			arn = fmt.Sprintf("arn:aws:iam::%s:%s/%s", AccountID, arnKind, name)
		case "cloudwatch":
			if arnKind == "log-group" {
				arn = c.arn("logs", "log-group:"+name)
			} else if arnKind == "dashboard" {
				arn = fmt.Sprintf("arn:aws:cloudwatch::%s:dashboard/%s", AccountID, name)
				out["dashboardArn"] = arn
				out["dashboardName"] = name
			} else {
				arn = c.arn("cloudwatch", arnKind+":"+name)
			}
		default:
			arn = c.arn(service(a.Type), arnKind+"/"+name)
		}
		out["arn"] = arn
		if arnKind == "key" {
			out["keyId"] = name
		}
		if service(a.Type) == "iam" && arnKind == "role" {
			out["uniqueId"] = "AROA" + strings.ToUpper(randomHex(8))
		}
		return created{id: id, outputs: out, res: Resource{ARN: arn, Physical: name, Mode: ModeAccepted, Note: "listed, not enforced locally"}}
	}
	return created{id: a.Name + "-" + randomHex(4), outputs: out, res: Resource{Mode: ModeAccepted, Note: "listed, not enforced locally"}}
}

func (c *Cloud) arn(service, rest string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, c.region, AccountID, rest)
}

// service is the module of a type token (aws:sqs/queuePolicy:QueuePolicy → sqs).
func service(token string) string {
	mod := strings.TrimPrefix(token, "aws:")
	if i := strings.IndexAny(mod, "/:"); i >= 0 {
		mod = mod[:i]
	}
	return mod
}

// physicalName is the name a resource gets: its name input, else the logical name with a
// random suffix, as Pulumi's auto-naming does (so repeated deployments on shared emulators
// never collide). maxLen is the service's limit; lower forces lower case (S3).
func physicalName(a regArgs, key string, maxLen int, lower bool) string {
	if n := a.In.str(key); n != "" {
		return n
	}
	base := a.Name
	if lower {
		base = strings.ToLower(base)
	}
	suffix := "-" + randomHex(4)[:7]
	if len(base)+len(suffix) > maxLen {
		base = base[:maxLen-len(suffix)]
	}
	return base + suffix
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
