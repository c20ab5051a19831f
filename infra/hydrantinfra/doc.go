// Package hydrantinfra holds Hydrant's Pulumi components, which platform teams and stream-owning
// teams import into their own stacks:
//
//   - Router: the event bus, the failure intake (SQS queue, SNS topic, S3 bucket), the hydrate
//     function, the catch-all queue, the archive (EventBridge archive and S3 through Firehose),
//     the schema registry and the bus policy.
//   - Subscription: one team's rule on the bus, matching its streams, with targets that each
//     have a retry policy and their own dead-letter queue.
//   - StreamSource: an event source mapping for an existing consumer function with the failure
//     settings people forget, and the IAM permissions the consumer and the hydrate role need.
//   - Operations: alarms on every place a failure can end up, an SNS topic for them, and a
//     dashboard.
//
// Every queue and bucket the components create is encrypted and refuses requests without TLS;
// buckets block public access; IAM statements name the resources they grant.
package hydrantinfra

// Type tokens of the components, as they appear in the engine and in `hydrant plan`.
const (
	RouterType       = "hydrant:infra:Router"
	SubscriptionType = "hydrant:infra:Subscription"
	StreamSourceType = "hydrant:infra:StreamSource"
	OperationsType   = "hydrant:infra:Operations"
)
