package store

import (
	"slices"
	"sync"

	"go.etcd.io/bbolt"
)

// fetchTail is the fetch log's unindexed tail by source, in memory: the
// IDs of each source's fetches after the index's watermark, so that a
// read of one source's fetches between index writes looks up its own
// few records instead of scanning every key of the tail (up to MaxTail;
// decision record 0054). It is built from the file when the database is
// opened and kept by the one writer, which adds each fetch in the
// transaction that records it — before the commit, so that every
// committed fetch is in it by the time a reader can see the commit.
//
// It may hold more than the file does (fetches of a transaction rolled
// back, whose IDs may be handed out again to other sources): a reader
// reads each ID's entry in its own transaction and keeps only those of
// its source, as the scan does. It covers the IDs from `from` up to
// `seen`; a reader whose snapshot reaches outside that range (a read
// transaction older than the last prune, or fetches written around the
// store) scans the tail as before.
type fetchTail struct {
	mu   sync.RWMutex
	from uint64 // every fetch with an ID from here up to seen is held
	seen uint64 // the highest ID numbered so far
	ids  map[uint64][]uint64
	// added counts fetches added, for releaseEvery.
	added int
}

// releaseFetches is how many fetches the writer records between two
// releases of bbolt's map from the resident set (releaseResident). A
// check touches about eight pages all over the file (its state, due
// time, sighting, versions, header sets, blob key, latest fetch) and the
// kernel maps up to 16 neighbours of each (fault-around), at most some
// 0.5 MB a check. Each release costs the re-faults of the pages every
// check needs again (branch pages, tiles): at 10,000 sources, on an idle
// machine, releasing every 32 fetches cost 150-200 µs of CPU per check
// (x1.5) and every 256 none measurable, with the peak RSS 76-88 MB
// against 131-138 MB never releasing (docs/benchmarks.md).
const releaseFetches = 256

// releaseReads is how many fetches a read of one source's history reads
// between releases: each is on a page of its own once the history spans
// months, with fault-around's neighbours (up to 64 KiB).
const releaseReads = 256

// newFetchTail reads the tail of the file's fetch log.
func newFetchTail(tx *bbolt.Tx) *fetchTail {
	t := &fetchTail{ids: map[uint64][]uint64{}}
	log := tx.Bucket(bucketFetchLog)
	if log == nil {
		return t
	}
	w := indexedUpTo(tx)
	t.from, t.seen = w+1, log.Sequence()
	c := log.Cursor()
	for k, v := c.Seek(u64(w + 1)); k != nil; k, v = c.Next() {
		if len(k) == 8 && len(v) >= 8 {
			src := fromU64(v[:8])
			t.ids[src] = append(t.ids[src], fromU64(k))
		}
	}
	return t
}

// add notes fetch id of src, recorded in tx (a write transaction not yet
// committed). When the watermark tx read (committed before it) has
// moved since the last add, what it covers is dropped first. It reports
// whether the writer is due to release bbolt's map from the resident set
// (every releaseFetches fetches).
func (t *fetchTail) add(tx *bbolt.Tx, src, id uint64) (release bool) {
	w := indexedUpTo(tx)
	t.mu.Lock()
	defer t.mu.Unlock()
	if w+1 > t.from {
		t.prune(w)
	}
	t.added++
	release = t.added%releaseFetches == 0
	t.seen = max(t.seen, id)
	ids := t.ids[src]
	if n := len(ids); n == 0 || ids[n-1] < id {
		t.ids[src] = append(ids, id)
		return release
	}
	if i, found := slices.BinarySearch(ids, id); !found {
		t.ids[src] = slices.Insert(ids, i, id)
	}
	return release
}

// prune drops every ID up to w, which the index holds.
func (t *fetchTail) prune(w uint64) {
	for src, ids := range t.ids {
		i, _ := slices.BinarySearch(ids, w+1)
		if i == len(ids) {
			delete(t.ids, src)
		} else if i > 0 {
			t.ids[src] = slices.Clone(ids[i:])
		}
	}
	t.from = w + 1
}

// lookup returns src's IDs in (w, seq] — a reader's watermark and the
// log's sequence in its transaction — and whether the tail covers that
// range (false: scan).
func (t *fetchTail) lookup(src, w, seq uint64) ([]uint64, bool) {
	if t == nil {
		return nil, false
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.from > w+1 || t.seen < seq {
		return nil, false
	}
	ids := t.ids[src]
	lo, _ := slices.BinarySearch(ids, w+1)
	hi, _ := slices.BinarySearch(ids, seq+1)
	return slices.Clone(ids[lo:hi]), true
}

// size is how many IDs the tail holds (tests).
func (t *fetchTail) size() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := 0
	for _, ids := range t.ids {
		n += len(ids)
	}
	return n
}
