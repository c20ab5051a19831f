package plan

import (
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// outputs are the registration's inputs plus the outputs AWS would add, in AWS's shapes, so
// that ARN-derived values (rule ARNs from bus ARNs, regions from topic ARNs) work offline.
func (r *Recorder) outputs(args pulumi.MockResourceArgs) (string, resource.PropertyMap) {
	out := args.Inputs.Copy()
	name := args.Name
	if v, ok := args.Inputs["name"]; ok && v.IsString() && v.StringValue() != "" {
		name = v.StringValue()
	}
	set := func(k, v string) {
		if _, ok := out[resource.PropertyKey(k)]; !ok {
			out[resource.PropertyKey(k)] = resource.NewStringProperty(v)
		}
	}
	region, account := r.Region, r.Account
	arn := func(service, rest string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, region, account, rest)
	}
	id := name
	switch args.TypeToken {
	case "aws:sqs/queue:Queue":
		set("name", name)
		set("arn", arn("sqs", name))
		set("url", fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", region, account, name))
		id = fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", region, account, name)
	case "aws:sns/topic:Topic":
		set("name", name)
		set("arn", arn("sns", name))
		id = arn("sns", name)
	case "aws:kms/key:Key":
		// Key ids are UUIDs; a name-derived one keeps plans stable from run to run.
		id = fmt.Sprintf("%08x-0000-4000-8000-000000000000", crc32.ChecksumIEEE([]byte(name)))
		set("keyId", id)
		set("arn", arn("kms", "key/"+id))
	case "aws:s3/bucket:Bucket":
		if v, ok := args.Inputs["bucket"]; ok && v.IsString() {
			name = v.StringValue()
		}
		set("bucket", name)
		set("arn", "arn:aws:s3:::"+name)
		id = name
	case "aws:lambda/function:Function":
		set("name", name)
		set("arn", arn("lambda", "function:"+name))
		set("invokeArn", fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", region, arn("lambda", "function:"+name)))
	case "aws:lambda/eventSourceMapping:EventSourceMapping":
		uuid := fmt.Sprintf("00000000-0000-4000-8000-%012x", hash(args.Name))
		set("uuid", uuid)
		set("arn", arn("lambda", "event-source-mapping:"+uuid))
		id = uuid
	case "aws:iam/role:Role":
		set("name", name)
		set("arn", fmt.Sprintf("arn:aws:iam::%s:role/%s", account, name))
	case "aws:cloudwatch/eventBus:EventBus":
		set("name", name)
		set("arn", arn("events", "event-bus/"+name))
	case "aws:cloudwatch/eventRule:EventRule":
		set("name", name)
		bus := "default"
		if v, ok := args.Inputs["eventBusName"]; ok && v.IsString() && v.StringValue() != "" {
			bus = v.StringValue()
			if i := strings.LastIndex(bus, "event-bus/"); i >= 0 {
				bus = bus[i+len("event-bus/"):]
			}
		}
		if bus == "default" {
			set("arn", arn("events", "rule/"+name))
		} else {
			set("arn", arn("events", "rule/"+bus+"/"+name))
		}
		id = bus + "|" + name
	case "aws:cloudwatch/eventArchive:EventArchive":
		set("name", name)
		set("arn", arn("events", "archive/"+name))
	case "aws:cloudwatch/eventConnection:EventConnection":
		set("name", name)
		set("arn", arn("events", "connection/"+name+"/00000000-0000-4000-8000-000000000000"))
	case "aws:cloudwatch/eventApiDestination:EventApiDestination":
		set("name", name)
		set("arn", arn("events", "api-destination/"+name+"/00000000-0000-4000-8000-000000000000"))
	case "aws:cloudwatch/logGroup:LogGroup":
		set("name", name)
		set("arn", arn("logs", "log-group:"+name))
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		set("name", name)
		set("arn", arn("cloudwatch", "alarm:"+name))
	case "aws:kinesis/stream:Stream":
		set("name", name)
		set("arn", arn("kinesis", "stream/"+name))
	case "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream":
		set("name", name)
		set("arn", arn("firehose", "deliverystream/"+name))
	case "aws:dynamodb/table:Table":
		set("name", name)
		set("arn", arn("dynamodb", "table/"+name))
		set("streamArn", arn("dynamodb", "table/"+name+"/stream/2026-01-01T00:00:00.000"))
		set("streamLabel", "2026-01-01T00:00:00.000")
	case "aws:schemas/registry:Registry":
		set("name", name)
		set("arn", arn("schemas", "registry/"+name))
	case "aws:schemas/schema:Schema":
		set("arn", arn("schemas", "schema/"+name))
	default:
		set("arn", arn(service(args.TypeToken), name))
	}
	return id, out
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
