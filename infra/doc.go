// Command infra is Hydrant's Pulumi program: `pulumi up` deploys the router, the teams'
// subscriptions and the stream sources described by the stack configuration.
package main
