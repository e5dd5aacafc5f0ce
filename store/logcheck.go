package store

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// The kinds of LogProblem.
const (
	// ProblemEdited: a logged fetch record no longer hashes to its leaf.
	ProblemEdited = "edited"
	// ProblemDeleted: a logged fetch record is gone.
	ProblemDeleted = "deleted"
	// ProblemUnlogged: a fetch record that is not in the log (written
	// around it).
	ProblemUnlogged = "unlogged"
	// ProblemBody: a logged fetch's raw body is missing or does not hash
	// to the SHA-256 the log holds.
	ProblemBody = "body"
	// ProblemTree: the stored tree disagrees with the tree recomputed
	// from the fetch records, or its bookkeeping is broken.
	ProblemTree = "tree"
	// ProblemCheckpoint: a signed checkpoint does not verify, or does not
	// match the recomputed tree.
	ProblemCheckpoint = "checkpoint"
)

// LogProblem is one thing CheckLog found wrong.
type LogProblem struct {
	Kind string `json:"kind"`
	// Leaf is the log record concerned, -1 for none.
	Leaf int64 `json:"leaf"`
	// Fetch, Source and Start identify the fetch concerned, when one is.
	Fetch  uint64    `json:"fetch,omitempty"`
	Source uint64    `json:"source,omitempty"`
	Start  time.Time `json:"start,omitzero"`
	Detail string    `json:"detail"`
}

func (p LogProblem) String() string {
	var where string
	if p.Leaf >= 0 {
		where = fmt.Sprintf("log record %d: ", p.Leaf)
	}
	switch {
	case p.Fetch != 0 && p.Source != 0:
		where += fmt.Sprintf("fetch %d of source %d at %s: ", p.Fetch, p.Source, p.Start.UTC().Format(time.RFC3339))
	case p.Fetch != 0:
		where += fmt.Sprintf("fetch %d: ", p.Fetch)
	}
	return fmt.Sprintf("%s: %s%s", p.Kind, where, p.Detail)
}

// LogReport is what CheckLog found.
type LogReport struct {
	// Size is the number of records in the log; Fetches the fetch records
	// stored; Checkpoints the signed checkpoints checked (kept and latest).
	Size        int64 `json:"size"`
	Fetches     int   `json:"fetches"`
	Checkpoints int   `json:"checkpoints"`
	// Latest is the newest checkpoint, when it verified.
	Latest   *Checkpoint  `json:"latest,omitempty"`
	Problems []LogProblem `json:"problems"`
}

// OK reports whether nothing was found wrong.
func (r LogReport) OK() bool { return len(r.Problems) == 0 }

// CheckLog recomputes the transparency log from the stored fetch records
// and reports every record edited, deleted or written around the log since
// it was logged, every raw body that no longer matches its logged hash,
// and every signed checkpoint that does not verify against the log's key
// or does not match the recomputed tree. It needs memory for about 64
// bytes per record. The error is for failures to read, not for problems
// found.
func (d *DB) CheckLog(ctx context.Context) (LogReport, error) {
	var rep LogReport
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		n := logSize(tx)
		rep.Size = n
		// Log record n is fetch n+1, so the log can never be longer than
		// the fetches ever numbered, and its tiles hold a 32-byte hash for
		// every record, so it can never be longer than the file allows. A
		// damaged size (or sequence) must not make the check allocate for
		// it (64 bytes a record).
		if seq := tx.Bucket(bucketFetchLog).Sequence(); n < 0 || uint64(n) > seq || n > tx.Size()/tlog.HashSize {
			return fmt.Errorf("%w: the log's size, %d, is more than the %d fetches ever recorded or the %d-byte file can hold", ErrCorrupt, uint64(n), seq, tx.Size())
		}
		add := func(p LogProblem) { rep.Problems = append(rep.Problems, p) }
		tb := tiles(tx)
		leafHashes, err := d.checkLeaves(ctx, tx, n, &rep)
		if err != nil {
			return err
		}
		// Rebuild the tree from the recomputed leaves and compare it with
		// the stored one.
		rebuilt, err := RebuildTree(leafHashes)
		if err != nil {
			return err
		}
		differ := 0
		for level := 1; n>>(tileHeight*level) > 0; level++ {
			for i := range n >> (tileHeight * level) {
				h, ok := tileHash(tb, level, i)
				if !ok || h != rebuilt[tlog.StoredHashIndex(tileHeight*level, i)] {
					differ++
				}
			}
		}
		// Interior hashes follow from the leaves: compare them only when
		// every leaf matched, or each edit would be reported twice.
		if differ > 0 && len(rep.Problems) == 0 {
			add(LogProblem{Kind: ProblemTree, Leaf: -1, Detail: fmt.Sprintf("%d stored interior hashes differ from the tree recomputed from the fetch records", differ)})
		}
		// Every signed checkpoint must verify and match the rebuilt tree.
		vkey := string(tx.Bucket(bucketMeta).Get(keyLogVKey))
		// Once one kept checkpoint fails to match, every later one does
		// too: name the first, count the rest.
		var firstMismatch string
		mismatches := 0
		check := func(what string, signed []byte) *Checkpoint {
			rep.Checkpoints++
			c, err := OpenCheckpoint(signed, vkey)
			if err != nil {
				add(LogProblem{Kind: ProblemCheckpoint, Leaf: -1, Detail: fmt.Sprintf("%s: %v", what, err)})
				return nil
			}
			what = fmt.Sprintf("%s (size %d, signed %s)", what, c.Size, c.Time.Format(time.RFC3339))
			switch {
			case c.Origin != d.origin:
				add(LogProblem{Kind: ProblemCheckpoint, Leaf: -1, Detail: fmt.Sprintf("%s names the log %q, not %q", what, c.Origin, d.origin)})
			case c.Size > n:
				add(LogProblem{Kind: ProblemCheckpoint, Leaf: -1, Detail: fmt.Sprintf("%s covers %d records, but the log now has %d: records were removed from the log", what, c.Size, n)})
			default:
				root, err := tlog.TreeHash(c.Size, rebuilt)
				if err != nil {
					add(LogProblem{Kind: ProblemCheckpoint, Leaf: -1, Detail: fmt.Sprintf("%s: %v", what, err)})
				} else if root != c.Hash {
					mismatches++
					if firstMismatch == "" {
						firstMismatch = fmt.Sprintf("%s does not match the tree recomputed from the stored fetch records: one of its first %d records was edited or deleted", what, c.Size)
					}
				}
			}
			return &c
		}
		err = tx.Bucket(bucketCheckpoints).ForEach(func(k, v []byte) error {
			check(fmt.Sprintf("kept checkpoint %d", fromU64(k)), v)
			return nil
		})
		if err != nil {
			return err
		}
		if latest := tx.Bucket(bucketMeta).Get(keyCheckpoint); latest != nil {
			if c := check("latest checkpoint", latest); c != nil {
				rep.Latest = c
				if c.Size != n {
					add(LogProblem{Kind: ProblemCheckpoint, Leaf: -1, Detail: fmt.Sprintf("the latest checkpoint covers %d records, the log has %d", c.Size, n)})
				}
			}
		} else if n > 0 {
			add(LogProblem{Kind: ProblemCheckpoint, Leaf: -1, Detail: "the log has records but no signed checkpoint"})
		}
		if mismatches > 0 {
			if mismatches > 1 {
				firstMismatch += fmt.Sprintf(" (as do %d later checkpoints)", mismatches-1)
			}
			add(LogProblem{Kind: ProblemCheckpoint, Leaf: -1, Detail: firstMismatch})
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("check the transparency log: %w", err)
	}
	return rep, nil
}

// RebuildTree computes every stored hash of the tree whose leaves (record
// hashes) are given, in order.
func RebuildTree(leaves []tlog.Hash) (TreeHashes, error) {
	n := int64(len(leaves))
	rebuilt := make(TreeHashes, 0, tlog.StoredHashCount(n))
	for i := range n {
		more, err := tlog.StoredHashesForRecordHash(i, leaves[i], rebuilt)
		if err != nil {
			return nil, fmt.Errorf("rebuild log record %d: %w", i, err)
		}
		rebuilt = append(rebuilt, more...)
	}
	return rebuilt, nil
}

// TreeHashes is a log tree's stored hashes in memory, by stored index
// (a tlog.HashReader). Both backends rebuild the tree into one to check
// it (RebuildTree).
type TreeHashes []tlog.Hash

// ReadHashes returns the hashes at the given stored indexes.
func (m TreeHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m)) {
			return nil, fmt.Errorf("hash %d not yet computed", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

// tileHash is hash i of tree level tileHeight·level as its tile holds it.
func tileHash(b *bbolt.Bucket, level int, i int64) (tlog.Hash, bool) {
	var h tlog.Hash
	if b == nil {
		return h, false
	}
	data := b.Get(tileKey(level, i>>tileHeight))
	pos := int(i&(1<<tileHeight-1)) * tlog.HashSize
	if len(data) < pos+tlog.HashSize {
		return h, false
	}
	copy(h[:], data[pos:])
	return h, true
}

// checkLeaves recomputes the leaf of every stored fetch record (record n
// is fetch n+1) and compares it with the leaf hash logged, reporting
// records edited, deleted, written around the log, and bodies that no
// longer match. It returns the recomputed leaf hashes.
func (d *DB) checkLeaves(ctx context.Context, tx *bbolt.Tx, n int64, rep *LogReport) ([]tlog.Hash, error) {
	add := func(p LogProblem) { rep.Problems = append(rep.Problems, p) }
	tb := tiles(tx)
	leafHashes := make([]tlog.Hash, n)
	const matched = 2
	found := make([]byte, n) // 0 no record, 1 a record that does not match, matched
	bodies := map[string]bool{}
	rs := newFetchReaders(tx)
	err := tx.Bucket(bucketFetchLog).ForEach(func(fk, fv []byte) error {
		if rep.Fetches++; rep.Fetches%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		s, err := splitFetch(fk, fv)
		if err != nil {
			add(LogProblem{Kind: ProblemEdited, Leaf: int64(fromU64(fk)) - 1, Fetch: fromU64(fk), Detail: err.Error()})
			return nil
		}
		id, src := s.id, s.src
		at := LogProblem{Leaf: int64(id) - 1, Fetch: id, Source: src, Start: s.start()}
		problem := func(kind, detail string) { p := at; p.Kind, p.Detail = kind, detail; add(p) }
		if id == 0 || id > uint64(n) {
			at.Leaf = -1
			problem(ProblemUnlogged, "the fetch record is not in the log (it was written around it)")
			return nil
		}
		i := id - 1
		f, err := rs.read(s)
		if err != nil {
			found[i] = max(found[i], 1)
			problem(ProblemEdited, fmt.Sprintf("the fetch record no longer decodes: %v", err))
			return nil
		}
		leaf := tlog.RecordHash(LogLeaf(f))
		stored, ok := tileHash(tb, 0, int64(i))
		switch {
		case !ok:
			problem(ProblemTree, "the log has no leaf hash for this record")
		case stored != leaf:
			problem(ProblemEdited, "the fetch record was edited after it was logged (it no longer hashes to its leaf)")
		default:
			found[i] = matched
		}
		if found[i] == 0 || found[i] == matched {
			leafHashes[i] = leaf
		}
		found[i] = max(found[i], 1)
		if f.ID != id || f.SourceID != src {
			problem(ProblemEdited, fmt.Sprintf("the record stored there is fetch %d of source %d", f.ID, f.SourceID))
		}
		d.checkBody(tx, f, bodies, problem)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, got := range found {
		if got == 0 {
			add(LogProblem{Kind: ProblemDeleted, Leaf: int64(i), Fetch: uint64(i) + 1,
				Detail: fmt.Sprintf("no fetch record with ID %d remains: it was deleted after it was logged", i+1)})
		}
	}
	return leafHashes, nil
}

// checkBody reports a logged body that cannot be read back intact, once
// per body.
func (d *DB) checkBody(tx *bbolt.Tx, f Fetch, seen map[string]bool, problem func(kind, detail string)) {
	if f.BodySHA256 == "" || seen[f.BodySHA256] {
		return
	}
	seen[f.BodySHA256] = true
	if k, err := blobKey(f.BodySHA256); err == nil {
		if _, err := d.getBlob(tx, k); err != nil {
			problem(ProblemBody, fmt.Sprintf("the raw body %s cannot be read back intact: %v", f.BodySHA256, err))
		}
	}
}
