package stack

import (
	"fmt"
	"strings"

	"github.com/hydrant-dev/hydrant/infra/hydrantinfra"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TeamInboxProgram is a minimal team stack for a team with an inbox: the TeamInbox its
// hydrant:teams entry names (the bus name from the inbox ARN), admitting rules of the central
// bus, with one rule matching every event to an encrypted queue. The local cloud is to deploy
// it as the team's account beside the central stack, so that the demo shows the cross-account
// path; docs/teams.md shows the same component in a team's own program.
func TeamInboxProgram(team TeamConfig, centralBusArn, eventSource string) (pulumi.RunFunc, error) {
	_, busName, ok := strings.Cut(team.Inbox, ":event-bus/")
	if team.InboxAccount() == "" || !ok {
		return nil, fmt.Errorf("team %s: inbox %q is not an event bus ARN", team.Name, team.Inbox)
	}
	return func(ctx *pulumi.Context) error {
		tags := map[string]string{"hydrant:team": team.Name}
		q, err := hydrantinfra.NewEncryptedQueue(ctx, team.Name+"-inbox-queue", tags)
		if err != nil {
			return err
		}
		inbox, err := hydrantinfra.NewTeamInbox(ctx, team.Name, &hydrantinfra.TeamInboxArgs{
			BusName:       busName,
			CentralBusArn: pulumi.String(centralBusArn),
			EventSource:   eventSource,
			Rules: []hydrantinfra.InboxRule{{
				Name:    "all",
				Targets: []hydrantinfra.Target{{Name: "queue", Kind: hydrantinfra.TargetSQS, Arn: q.Arn, QueueURL: q.Url}},
			}},
			Tags: tags,
		})
		if err != nil {
			return err
		}
		ctx.Export("inboxBusArn", inbox.BusArn)
		ctx.Export("inboxQueueUrl", q.Url)
		return nil
	}, nil
}
