package store

import (
	"bytes"
	"context"
	"encoding/binary"
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
	if p.Fetch != 0 {
		where += fmt.Sprintf("fetch %d of source %d at %s: ", p.Fetch, p.Source, p.Start.UTC().Format(time.RFC3339))
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
		add := func(p LogProblem) { rep.Problems = append(rep.Problems, p) }
		hashes := tx.Bucket(bucketLog)
		leaves := tx.Bucket(bucketLogLeaves)
		index := tx.Bucket(bucketLogIndex)
		fetches := tx.Bucket(bucketFetches)
		// Recompute every leaf hash from the fetch it points at.
		leafHashes := make([]tlog.Hash, n)
		bodies := map[string]bool{}
		for i := range n {
			if i%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			ref := leaves.Get(u64(uint64(i)))
			if len(ref) != 24 {
				add(LogProblem{Kind: ProblemTree, Leaf: i, Detail: "no record of which fetch this leaf is"})
				continue
			}
			src, fk := fromU64(ref[:8]), ref[8:]
			id, start := binary.BigEndian.Uint64(fk[8:]), time.Unix(0, int64(binary.BigEndian.Uint64(fk[:8]))).UTC()
			var raw []byte
			if sb := fetches.Bucket(ref[:8]); sb != nil {
				raw = sb.Get(fk)
			}
			if raw == nil {
				add(LogProblem{Kind: ProblemDeleted, Leaf: i, Fetch: id, Source: src, Start: start, Detail: "the fetch record was deleted after it was logged"})
				continue
			}
			var f Fetch
			if err := decode(raw, &f); err != nil {
				add(LogProblem{Kind: ProblemEdited, Leaf: i, Fetch: id, Source: src, Start: start, Detail: fmt.Sprintf("the fetch record no longer decodes: %v", err)})
				continue
			}
			leafHashes[i] = tlog.RecordHash(LogLeaf(f))
			if stored := hashes.Get(u64(uint64(tlog.StoredHashIndex(0, i)))); !bytes.Equal(stored, leafHashes[i][:]) {
				add(LogProblem{Kind: ProblemEdited, Leaf: i, Fetch: id, Source: src, Start: start, Detail: "the fetch record was edited after it was logged (it no longer hashes to its leaf)"})
			}
			if f.ID != id || f.SourceID != src {
				add(LogProblem{Kind: ProblemEdited, Leaf: i, Fetch: id, Source: src, Start: start, Detail: fmt.Sprintf("the record stored there is fetch %d of source %d", f.ID, f.SourceID)})
			}
			if f.BodySHA256 != "" && !bodies[f.BodySHA256] {
				bodies[f.BodySHA256] = true
				if k, err := blobKey(f.BodySHA256); err == nil {
					if _, err := d.getBlob(tx, k); err != nil {
						add(LogProblem{Kind: ProblemBody, Leaf: i, Fetch: id, Source: src, Start: start, Detail: fmt.Sprintf("the raw body %s cannot be read back intact: %v", f.BodySHA256, err)})
					}
				}
			}
		}
		// Every fetch must be in the log, at the leaf that points back at it.
		err := fetches.ForEachBucket(func(sk []byte) error {
			return fetches.Bucket(sk).ForEach(func(fk, _ []byte) error {
				rep.Fetches++
				id, start := fromU64(fk[8:]), time.Unix(0, int64(fromU64(fk[:8]))).UTC()
				leaf := index.Get(u64(id))
				if leaf == nil || int64(fromU64(leaf)) >= n {
					add(LogProblem{Kind: ProblemUnlogged, Leaf: -1, Fetch: id, Source: fromU64(sk), Start: start, Detail: "the fetch record is not in the log (it was written around it)"})
					return nil
				}
				if ref := leaves.Get(leaf); !bytes.Equal(ref, append(bytes.Clone(sk), fk...)) {
					add(LogProblem{Kind: ProblemTree, Leaf: int64(fromU64(leaf)), Fetch: id, Source: fromU64(sk), Start: start, Detail: "the log's index points this fetch at a leaf that is not its own"})
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
		// Rebuild the tree from the recomputed leaves and compare it with
		// the stored one.
		rebuilt := make(memoryHashes, 0, tlog.StoredHashCount(n))
		for i := range n {
			more, err := tlog.StoredHashesForRecordHash(i, leafHashes[i], rebuilt)
			if err != nil {
				return fmt.Errorf("rebuild log record %d: %w", i, err)
			}
			rebuilt = append(rebuilt, more...)
		}
		differ := 0
		for k, h := range rebuilt {
			if level, _ := tlog.SplitStoredHashIndex(int64(k)); level > 0 && !bytes.Equal(hashes.Get(u64(uint64(k))), h[:]) {
				differ++
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

// memoryHashes is a tree's stored hashes in memory, by stored index.
type memoryHashes []tlog.Hash

func (m memoryHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m)) {
			return nil, fmt.Errorf("hash %d not yet computed", x)
		}
		out[i] = m[x]
	}
	return out, nil
}
