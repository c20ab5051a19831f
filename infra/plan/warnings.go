package plan

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Warnings are what the plan allows on purpose but a reader must know: today, bus policies
// letting other accounts create rules (the ruleCreatorAccounts opt-in), since a rule on
// Hydrant's bus can match any stream, so such an account sees every stream's records.
func (p Plan) Warnings() []string {
	var out []string
	for _, r := range p.OfType("aws:cloudwatch/eventBusPolicy:EventBusPolicy") {
		doc, _ := r.Inputs["policy"].(string)
		var d struct {
			Statement []struct {
				Sid       string
				Effect    string
				Principal any
				Action    any
			}
		}
		if json.Unmarshal([]byte(doc), &d) != nil {
			continue
		}
		for _, st := range d.Statement {
			if st.Effect != "Allow" || !grantsRuleActions(st.Action) {
				continue
			}
			out = append(out, fmt.Sprintf("%s %s: statement %s lets %s create rules on the bus: such an account can see EVERY stream's records (ruleCreatorAccounts); give a team in another account an inbox instead",
				r.Type, r.Name, st.Sid, principalText(st.Principal)))
		}
	}
	sort.Strings(out)
	return out
}

func grantsRuleActions(action any) bool {
	var actions []string
	switch a := action.(type) {
	case string:
		actions = []string{a}
	case []any:
		for _, v := range a {
			s, _ := v.(string)
			actions = append(actions, s)
		}
	}
	for _, a := range actions {
		if a == "events:PutRule" || a == "events:PutTargets" || a == "events:*" || a == "*" {
			return true
		}
	}
	return false
}

func principalText(p any) string {
	if m, ok := p.(map[string]any); ok {
		var parts []string
		for _, v := range m {
			parts = append(parts, fmt.Sprint(v))
		}
		sort.Strings(parts)
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(p)
}
