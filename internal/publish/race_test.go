//go:build race

package publish

// raceEnabled: the race detector is on (its sync.Pool drops some of what it is given).
const raceEnabled = true
