package hydrantinfra

import (
	"encoding/json"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TrustedStream is one entry of the hydrate function's allow-list (HYDRANT_TRUSTED_STREAMS,
// read by package internal/trust): the stream, the destination its mapping sends failures to,
// and for the SQS destination the unique IDs (AROA…) of the roles whose mappings send them,
// which the function compares with each message's SenderId.
type TrustedStream struct {
	StreamArn     pulumi.StringInput
	Destination   DestinationKind
	SenderRoleIDs []string
}

// trustedStreamsJSON is the allow-list as the function reads it.
func trustedStreamsJSON(streams []TrustedStream) pulumi.StringOutput {
	arns := make([]any, len(streams))
	for i, s := range streams {
		arns[i] = s.StreamArn
	}
	return pulumi.All(arns...).ApplyT(func(vals []any) (string, error) {
		type entry struct {
			StreamARN     string   `json:"streamArn"`
			Destinations  []string `json:"destinations"`
			SenderRoleIDs []string `json:"senderRoleIds,omitempty"`
		}
		var out []entry
		index := map[string]int{} // one entry per stream, however many sources read it
		for i, v := range vals {
			arn := v.(string)
			j, seen := index[arn]
			if !seen {
				j = len(out)
				index[arn] = j
				out = append(out, entry{StreamARN: arn})
			}
			if d := string(streams[i].Destination); !slices.Contains(out[j].Destinations, d) {
				out[j].Destinations = append(out[j].Destinations, d)
			}
			for _, id := range streams[i].SenderRoleIDs {
				if !slices.Contains(out[j].SenderRoleIDs, id) {
					out[j].SenderRoleIDs = append(out[j].SenderRoleIDs, id)
				}
			}
		}
		if out == nil {
			out = []entry{}
		}
		b, err := json.Marshal(out)
		return string(b), err
	}).(pulumi.StringOutput)
}
