package store

import (
	"encoding/binary"
	"time"
)

// Bucket names.
var (
	bucketMeta     = []byte("meta")
	bucketSources  = []byte("sources")
	bucketState    = []byte("state")
	bucketNames    = []byte("names")
	bucketURLs     = []byte("urls")
	bucketFetches  = []byte("fetches")
	bucketVersions = []byte("versions")
	bucketChanges  = []byte("changes")
	bucketBlobs    = []byte("blobs")
	// Schema 2: the daemon's schedule.
	bucketDue   = []byte("due")
	bucketQueue = []byte("queue")
	// Schema 3: the web server's credentials and webhooks.
	bucketTokens     = []byte("tokens")
	bucketSessions   = []byte("sessions")
	bucketHooks      = []byte("hooks")
	bucketDeliveries = []byte("deliveries")
	// Schema 4: the seal program's records.
	bucketSuppliers     = []byte("suppliers")
	bucketNotifications = []byte("notifications")
	bucketRubrics       = []byte("rubrics")
	bucketBaselines     = []byte("baselines")
	// Schema 5: the transparency log of fetches. log holds the tree's
	// stored hashes by tlog.StoredHashIndex; log_leaves where each leaf's
	// fetch is (source ID and fetch key); log_index each fetch's leaf;
	// checkpoints the signed checkpoints kept, by tree size.
	bucketLog         = []byte("log")
	bucketLogLeaves   = []byte("log_leaves")
	bucketLogIndex    = []byte("log_index")
	bucketCheckpoints = []byte("checkpoints")
	// Schema 6: the sets compact fetch records refer to (fetchstore.go).
	bucketFetchSets = []byte("fetch_sets")
	// Schema 7: the log's tree as tiles (tiles.go), replacing log,
	// log_leaves and log_index.
	bucketLogTiles = []byte("log_tiles")
	// Schema 9: each source's current version's latest sighting, kept out
	// of the version record (seen.go).
	bucketSeen = []byte("seen")
)

// allBuckets are created by the first migration.
var allBuckets = [][]byte{bucketMeta, bucketSources, bucketState, bucketNames, bucketURLs, bucketFetches, bucketVersions, bucketChanges, bucketBlobs}

var (
	keySchema   = []byte("schema")
	keyInstance = []byte("instance")
	// The log's size, latest signed checkpoint and verifier key; and a
	// mark that fetches made before the log must be appended to it.
	keyLogSize    = []byte("log_size")
	keyCheckpoint = []byte("checkpoint")
	keyLogVKey    = []byte("log_vkey")
	keyBackfill   = []byte("log_backfill")
)

// u64 encodes n big-endian, so keys sort numerically.
func u64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

// fromU64 decodes a big-endian uint64 key.
func fromU64(b []byte) uint64 {
	if len(b) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// fetchKey orders a source's fetches by start time, then ID.
func fetchKey(start time.Time, id uint64) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, uint64(start.UnixNano()))
	binary.BigEndian.PutUint64(b[8:], id)
	return b
}

// queueKey orders the schedule by due time, then source ID.
func queueKey(at time.Time, id uint64) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, uint64(at.UnixNano()))
	binary.BigEndian.PutUint64(b[8:], id)
	return b
}

// timeKey is the first fetch key at or after t.
func timeKey(t time.Time) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, uint64(t.UnixNano()))
	return b
}
