package vetting

import (
	"time"

	"github.com/clausewatch/clausewatch/store"
)

// VersionAt picks the version of vs (oldest first) in force at t: the
// last one first seen at or before t. ok is false when t is before the
// first (the page was not watched yet). The renewal report's baselines
// use the same rule.
func VersionAt(vs []store.Version, t time.Time) (store.Version, bool) { return versionAt(vs, t) }
