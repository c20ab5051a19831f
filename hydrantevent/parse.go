package hydrantevent

import (
	"encoding/json"
	"fmt"

	"github.com/hydrant-dev/hydrant/schemas"
)

// Parse checks an EventBridge event against its schema (package schemas) and decodes it.
// An event that does not follow the schema fails with a *schemas.ValidationError naming each
// field at fault; an event of another detail type fails too.
func Parse(data []byte) (*Event, error) {
	if err := schemas.ValidateEvent(data); err != nil {
		return nil, fmt.Errorf("parse hydrant event: %w", err)
	}
	var e Event
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("parse hydrant event: %w", err)
	}
	return &e, nil
}

// ParseDetail checks and decodes the detail of an event whose envelope was decoded elsewhere
// (aws-lambda-go's events.EventBridgeEvent, say): *RecordHydrated or *RecordHydrationFailed.
func ParseDetail(detailType string, detail []byte) (Detail, error) {
	if err := schemas.ValidateDetail(detailType, detail); err != nil {
		return nil, fmt.Errorf("parse hydrant %s detail: %w", detailType, err)
	}
	var d Detail
	switch detailType {
	case DetailTypeRecordHydrated:
		d = new(RecordHydrated)
	case DetailTypeRecordHydrationFailed:
		d = new(RecordHydrationFailed)
	default: // unreachable: the schema check knows the same detail types
		return nil, fmt.Errorf("parse hydrant detail: %q is not a Hydrant detail type", detailType)
	}
	if err := json.Unmarshal(detail, d); err != nil {
		return nil, fmt.Errorf("parse hydrant %s detail: %w", detailType, err)
	}
	return d, nil
}
