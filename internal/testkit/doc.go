// Package testkit holds no code of its own: its subpackages are Hydrant's test tooling.
//
//   - emulators: the endpoints of the local AWS emulators started by scripts/emulators and SDK
//     clients wired to them (Main for TestMain; `hydrant local up` starts the same set).
//   - faultproxy: a reverse proxy in front of an emulator that answers chosen operations with
//     the faults AWS returns and the emulators cannot produce (throttling, expired iterators, 5xx).
//   - failuretest: real records on the emulators' streams and the on-failure records an event
//     source mapping would write for them, in every intake shape.
package testkit
