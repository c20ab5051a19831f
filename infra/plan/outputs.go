package plan

import (
	"fmt"
	"hash/crc32"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// outputs are the registration's inputs plus the outputs AWS would add, in AWS's shapes, so
// that ARN-derived values (rule ARNs from bus ARNs, regions from topic ARNs) work offline.
func (r *Recorder) outputs(args pulumi.MockResourceArgs) (string, resource.PropertyMap) {
	o := &shaper{args: args, out: args.Inputs.Copy(), name: args.Name, region: r.Region, account: r.Account}
	if v, ok := args.Inputs["name"]; ok && v.IsString() && v.StringValue() != "" {
		o.name = v.StringValue()
	}
	o.id = o.name
	if shape, ok := shapes[args.TypeToken]; ok {
		shape(o)
	} else {
		o.set("arn", o.arn(service(args.TypeToken), o.name))
	}
	return o.id, o.out
}

// shaper makes up one resource's outputs.
type shaper struct {
	args            pulumi.MockResourceArgs
	out             resource.PropertyMap
	name, id        string
	region, account string
}

// set sets an output the inputs do not already set.
func (o *shaper) set(k, v string) {
	if _, ok := o.out[resource.PropertyKey(k)]; !ok {
		o.out[resource.PropertyKey(k)] = resource.NewStringProperty(v)
	}
}

func (o *shaper) arn(service, rest string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, o.region, o.account, rest)
}

// shapes make up the outputs of the types whose outputs AWS shapes; every other type gets an
// ARN only (arnOnly lists the ones Hydrant uses). The two together are KnownTypes.
var shapes = map[string]func(o *shaper){
	"aws:sqs/queue:Queue": func(o *shaper) {
		o.set("name", o.name)
		o.set("arn", o.arn("sqs", o.name))
		o.set("url", fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", o.region, o.account, o.name))
		o.id = fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", o.region, o.account, o.name)
	},
	"aws:sns/topic:Topic": func(o *shaper) {
		o.set("name", o.name)
		o.set("arn", o.arn("sns", o.name))
		o.id = o.arn("sns", o.name)
	},
	"aws:kms/key:Key": func(o *shaper) {
		// Key ids are UUIDs; a name-derived one keeps plans stable from run to run.
		o.id = fmt.Sprintf("%08x-0000-4000-8000-000000000000", crc32.ChecksumIEEE([]byte(o.name)))
		o.set("keyId", o.id)
		o.set("arn", o.arn("kms", "key/"+o.id))
	},
	"aws:s3/bucket:Bucket": func(o *shaper) {
		if v, ok := o.args.Inputs["bucket"]; ok && v.IsString() {
			o.name = v.StringValue()
		}
		o.set("bucket", o.name)
		o.set("arn", "arn:aws:s3:::"+o.name)
		o.id = o.name
	},
	"aws:lambda/function:Function": func(o *shaper) {
		o.set("name", o.name)
		o.set("arn", o.arn("lambda", "function:"+o.name))
		o.set("invokeArn", fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", o.region, o.arn("lambda", "function:"+o.name)))
	},
	"aws:lambda/eventSourceMapping:EventSourceMapping": func(o *shaper) {
		uuid := fmt.Sprintf("00000000-0000-4000-8000-%012x", hash(o.args.Name))
		o.set("uuid", uuid)
		o.set("arn", o.arn("lambda", "event-source-mapping:"+uuid))
		// functionArn is the ARN of the function, which the program may name by name or ARN.
		if v, ok := o.args.Inputs["functionName"]; ok && v.IsString() {
			fn := v.StringValue()
			if !strings.HasPrefix(fn, "arn:") {
				fn = o.arn("lambda", "function:"+fn)
			}
			o.set("functionArn", fn)
		}
		o.id = uuid
	},
	"aws:iam/role:Role": func(o *shaper) {
		o.set("name", o.name)
		o.set("arn", fmt.Sprintf("arn:aws:iam::%s:role/%s", o.account, o.name))
	},
	"aws:cloudwatch/eventBus:EventBus": func(o *shaper) {
		o.set("name", o.name)
		o.set("arn", o.arn("events", "event-bus/"+o.name))
	},
	"aws:cloudwatch/eventRule:EventRule": func(o *shaper) {
		o.set("name", o.name)
		bus := "default"
		if v, ok := o.args.Inputs["eventBusName"]; ok && v.IsString() && v.StringValue() != "" {
			bus = v.StringValue()
			if i := strings.LastIndex(bus, "event-bus/"); i >= 0 {
				bus = bus[i+len("event-bus/"):]
			}
		}
		if bus == "default" {
			o.set("arn", o.arn("events", "rule/"+o.name))
		} else {
			o.set("arn", o.arn("events", "rule/"+bus+"/"+o.name))
		}
		o.id = bus + "|" + o.name
	},
	"aws:cloudwatch/eventArchive:EventArchive": func(o *shaper) {
		o.set("name", o.name)
		o.set("arn", o.arn("events", "archive/"+o.name))
	},
	"aws:cloudwatch/eventConnection:EventConnection": func(o *shaper) {
		o.set("name", o.name)
		o.set("arn", o.arn("events", "connection/"+o.name+"/00000000-0000-4000-8000-000000000000"))
	},
	"aws:cloudwatch/eventApiDestination:EventApiDestination": func(o *shaper) {
		o.set("name", o.name)
		o.set("arn", o.arn("events", "api-destination/"+o.name+"/00000000-0000-4000-8000-000000000000"))
	},
	"aws:cloudwatch/logGroup:LogGroup": func(o *shaper) {
		o.set("name", o.name)
		o.set("arn", o.arn("logs", "log-group:"+o.name))
	},
	"aws:cloudwatch/metricAlarm:MetricAlarm": func(o *shaper) {
		o.set("name", o.name)
		o.set("arn", o.arn("cloudwatch", "alarm:"+o.name))
	},
	"aws:kinesis/stream:Stream": func(o *shaper) {
		o.set("name", o.name)
		o.set("arn", o.arn("kinesis", "stream/"+o.name))
	},
	"aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": func(o *shaper) {
		o.set("name", o.name)
		o.set("arn", o.arn("firehose", "deliverystream/"+o.name))
	},
	"aws:dynamodb/table:Table": func(o *shaper) {
		o.set("name", o.name)
		o.set("arn", o.arn("dynamodb", "table/"+o.name))
		o.set("streamArn", o.arn("dynamodb", "table/"+o.name+"/stream/2026-01-01T00:00:00.000"))
		o.set("streamLabel", "2026-01-01T00:00:00.000")
	},
	"aws:schemas/registry:Registry": func(o *shaper) {
		o.set("name", o.name)
		o.set("arn", o.arn("schemas", "registry/"+o.name))
	},
	"aws:schemas/schema:Schema": func(o *shaper) {
		o.set("arn", o.arn("schemas", "schema/"+o.name))
	},
}

// arnOnly are the types Hydrant's programs use whose only made-up output is their ARN.
var arnOnly = []string{
	"aws:sns/topicSubscription:TopicSubscription",
	"aws:s3/bucketNotification:BucketNotification",
	"aws:cloudwatch/eventTarget:EventTarget",
	"aws:iam/rolePolicy:RolePolicy",
	"aws:iam/policy:Policy",
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment",
	"aws:cloudwatch/dashboard:Dashboard",
	"aws:cloudwatch/eventBusPolicy:EventBusPolicy",
	"aws:sqs/queuePolicy:QueuePolicy",
	"aws:sns/topicPolicy:TopicPolicy",
	"aws:s3/bucketPolicy:BucketPolicy",
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
	"aws:s3/bucketOwnershipControls:BucketOwnershipControls",
	"aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
	"aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
	"aws:lambda/permission:Permission",
	"aws:kms/keyPolicy:KeyPolicy",
}

// KnownTypes lists, sorted, the resource types this mock monitor knows. The local cloud's
// monitor (internal/localcloud, monitor.go) must know the same ones, materialised or accepted:
// localcloud's TestMonitorsKnowTheSameTypes says so, and a type added to one is added to both.
func KnownTypes() []string {
	types := slices.Clone(arnOnly)
	for t := range shapes {
		types = append(types, t)
	}
	slices.Sort(types)
	return types
}

// service is the module of a type token (aws:sqs/queuePolicy:QueuePolicy → sqs).
func service(token string) string {
	mod := strings.TrimPrefix(token, "aws:")
	if i := strings.IndexAny(mod, "/:"); i >= 0 {
		mod = mod[:i]
	}
	return mod
}

// hash is FNV-1a of s, for stable made-up identifiers.
func hash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h & 0xffffffffffff
}
