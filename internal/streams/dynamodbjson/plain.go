package dynamodbjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/aws/aws-lambda-go/events"
)

// LambdaItemFromJSON converts a plain JSON object (an image as Item wrote it into a
// RecordHydrated event) back to the DynamoDB JSON a Lambda event carries, for redrive.
//
// Plain JSON does not say everything DynamoDB JSON does, so the types are inferred: a string
// is S, a number N (its exact digits), a boolean BOOL, null NULL, an object M and an array L.
// A binary (B), written as a base64 string, comes back as S, and a set (SS, NS, BS), written
// as an array, comes back as L. Null or absent input is a nil item.
func LambdaItemFromJSON(data json.RawMessage) (map[string]events.DynamoDBAttributeValue, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("image is not a JSON object: %w", err)
	}
	return lambdaItemFromPlain(m), nil
}

func lambdaItemFromPlain(m map[string]any) map[string]events.DynamoDBAttributeValue {
	out := make(map[string]events.DynamoDBAttributeValue, len(m))
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		out[k] = lambdaValueFromPlain(m[k])
	}
	return out
}

func lambdaValueFromPlain(v any) events.DynamoDBAttributeValue {
	switch v := v.(type) {
	case string:
		return events.NewStringAttribute(v)
	case json.Number:
		return events.NewNumberAttribute(v.String())
	case bool:
		return events.NewBooleanAttribute(v)
	case map[string]any:
		return events.NewMapAttribute(lambdaItemFromPlain(v))
	case []any:
		l := make([]events.DynamoDBAttributeValue, len(v))
		for i, e := range v {
			l[i] = lambdaValueFromPlain(e)
		}
		return events.NewListAttribute(l)
	}
	return events.NewNullAttribute()
}
