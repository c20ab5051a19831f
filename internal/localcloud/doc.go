// Package localcloud runs Hydrant's Pulumi program against local emulators: a Pulumi mock
// resource monitor that, instead of recording each resource, materialises it (queues and
// topics on goaws, buckets on gofakes3 behind an S3-notifying proxy, streams on kinesis-local,
// tables on DynamoDB Local, buses, rules, targets and archives on the local EventBridge
// endpoint, functions as in-process handlers, event source mappings as local pollers) and
// answers with the outputs the real resource would have, so that everything the program
// derives from them is wired as it would be in AWS.
//
// A resource type the local cloud cannot run is refused with its type token; IAM, alarms,
// dashboards, log groups and policies are accepted and listed without being enforced.
package localcloud
