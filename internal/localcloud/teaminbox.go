package localcloud

import (
	"context"
	"fmt"
	"strings"

	"github.com/hydrant-dev/hydrant/infra/plan"
	"github.com/hydrant-dev/hydrant/infra/stack"
)

// TeamInbox is a team's inbox on the local cloud: the bus its own stack created, standing for
// the team's account, and the streams the central stack forwards to it.
type TeamInbox struct {
	Team string `json:"team"`
	// Account is the team's account as the central configuration names the inbox; locally
	// every ARN carries AccountID, so the accounts differ only in name.
	Account string `json:"account"`
	// InboxArn is the inbox as configured (hydrant:teams[].inbox): the central rule's target.
	InboxArn string `json:"inboxArn"`
	// Bus is the inbox bus on the local EventBridge endpoint.
	Bus Resource `json:"bus"`
	// Streams are what the team's subscription selects, stream sources resolved to their
	// streams' ARNs.
	Streams []StreamSelector `json:"streams"`
}

// StreamSelector is a stream ARN, or an ARN prefix.
type StreamSelector struct {
	ARN    string `json:"arn"`
	Prefix bool   `json:"prefix,omitempty"`
}

// Selects reports whether the team's subscription selects the stream.
func (t TeamInbox) Selects(streamARN string) bool {
	for _, s := range t.Streams {
		if streamARN == s.ARN || (s.Prefix && strings.HasPrefix(streamARN, s.ARN)) {
			return true
		}
	}
	return false
}

// DeployTeamInboxes deploys, after Deploy of the central stack, the own stack of each team
// that central's configuration gives an inbox (hydrant:teams[].inbox): stack.TeamInboxProgram,
// the TeamInbox component admitting the central bus's rules with one rule matching every event
// to a queue, run by DeployTeam as the team's account. It returns the inboxes in the
// configuration's order.
func (c *Cloud) DeployTeamInboxes(ctx context.Context, central *plan.StackConfig) ([]TeamInbox, error) {
	cfg, err := stack.LoadConfig(central)
	if err != nil {
		return nil, fmt.Errorf("team inboxes of stack %s: %w", central.Stack, err)
	}
	var bus *Resource
	for _, b := range c.OfType("aws:cloudwatch/eventBus:EventBus") {
		if b.Team == "" {
			if bus != nil {
				return nil, fmt.Errorf("team inboxes of stack %s: more than one central bus (%s, %s)", central.Stack, bus.Physical, b.Physical)
			}
			bus = &b
		}
	}
	var out []TeamInbox
	for _, team := range cfg.Teams {
		if team.Inbox == "" {
			continue
		}
		if bus == nil {
			return nil, fmt.Errorf("team %s's inbox: stack %s has no bus deployed", team.Name, central.Stack)
		}
		program, err := stack.TeamInboxProgram(team, bus.ARN, cfg.Router.EventSource)
		if err != nil {
			return nil, err
		}
		teamStack := &plan.StackConfig{Project: "hydrant-team", Stack: team.Name, Values: map[string]string{}}
		if region, ok := central.Values["aws:region"]; ok {
			teamStack.Values["aws:region"] = region
		}
		if err := c.DeployTeam(ctx, teamStack, program); err != nil {
			return nil, err
		}
		in := TeamInbox{Team: team.Name, Account: team.InboxAccount(), InboxArn: team.Inbox}
		for _, b := range c.OfType("aws:cloudwatch/eventBus:EventBus") {
			if b.Team == team.Name {
				in.Bus = b
			}
		}
		for _, sc := range team.Subscriptions {
			for _, st := range sc.Streams {
				sel, err := c.resolveStream(st)
				if err != nil {
					return nil, fmt.Errorf("team %s's inbox: %w", team.Name, err)
				}
				in.Streams = append(in.Streams, sel)
			}
		}
		out = append(out, in)
	}
	return out, nil
}

// resolveStream turns a subscription's stream into the stream it means: a stream source's
// name resolves to the stream its central event source mapping reads.
func (c *Cloud) resolveStream(st stack.StreamConfig) (StreamSelector, error) {
	switch {
	case st.Arn != "":
		return StreamSelector{ARN: st.Arn}, nil
	case st.Prefix != "":
		return StreamSelector{ARN: st.Prefix, Prefix: true}, nil
	}
	for _, r := range c.OfType("aws:lambda/eventSourceMapping:EventSourceMapping") {
		if r.Team != "" || r.Parent != st.StreamSource {
			continue
		}
		for _, m := range c.Mappings() {
			if m.Config.UUID == r.Physical {
				return StreamSelector{ARN: m.Config.EventSourceARN}, nil
			}
		}
	}
	return StreamSelector{}, fmt.Errorf("stream source %q: no event source mapping of that stream source is deployed", st.StreamSource)
}
