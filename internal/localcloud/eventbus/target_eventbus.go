package eventbus

import (
	"context"
	"fmt"
)

// sendBus puts the event, unchanged and with the same id, on another bus of this endpoint.
func (s *Server) sendBus(_ context.Context, t *target, ev *busEvent, _ []byte) error {
	s.mu.RLock()
	b, ok := s.buses[t.resource]
	s.mu.RUnlock()
	if !ok {
		return noResource("event bus %s does not exist", t.spec.Arn)
	}
	if ev.hops >= maxBusHops {
		return &deliveryError{Code: "SDK_CLIENT_ERROR", Err: fmt.Errorf("event %s has crossed %d buses; the bus-to-bus loop stops here", ev.id, ev.hops)}
	}
	next := &busEvent{id: ev.id, time: ev.time, ingested: ev.ingested, raw: ev.raw, hops: ev.hops + 1}
	s.archiveEvent(b, next)
	s.route(b, next, nil)
	return nil
}

// maxBusHops stops an event that rules send round a cycle of buses.
const maxBusHops = 8
