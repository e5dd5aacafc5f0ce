package store

import (
	"fmt"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// The log's tree is stored as tiles (schema 7), as Go's checksum database
// publishes its log: tile (L, N) of height tileHeight holds up to
// 2^tileHeight consecutive hashes of tree level tileHeight·L, starting at
// N·2^tileHeight, and every other hash is computed from a tile
// (tlog.HashFromTile). Leaf n is the log record of fetch n+1, so no index
// maps one to the other. Decision record 0025.

// tileHeight 4 makes a full tile 16 hashes, 512 bytes: seven fill a 4 KiB
// page, and a commit rewrites at most 512 bytes of partial tile per level.
const tileHeight = 4

// tileKey is a tile's key: its level byte, then N.
func tileKey(level int, n int64) []byte {
	return append([]byte{byte(level)}, u64(uint64(n))...)
}

// tileReader reads tree hashes from the stored tiles.
type tileReader struct{ b *bbolt.Bucket }

func (r tileReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		t := tlog.TileForIndex(tileHeight, x)
		data := r.b.Get(tileKey(t.L, t.N))
		if len(data) < t.W*tlog.HashSize {
			return nil, fmt.Errorf("%w: log hash %d missing (tile %d/%d has %d bytes, needs %d)", ErrCorrupt, x, t.L, t.N, len(data), t.W*tlog.HashSize)
		}
		h, err := tlog.HashFromTile(t, data, x)
		if err != nil {
			return nil, fmt.Errorf("%w: log hash %d: %v", ErrCorrupt, x, err)
		}
		out[i] = h
	}
	return out, nil
}

// tiles is the log_tiles bucket, filled pages full: tiles only grow at
// the end.
func tiles(tx *bbolt.Tx) *bbolt.Bucket {
	b := tx.Bucket(bucketLogTiles)
	if b != nil && tx.Writable() {
		b.FillPercent = 1
	}
	return b
}

// putStoredHashes adds the hashes record n completes (tlog.StoredHashes:
// the leaf, then one per level whose subtree it completes) to their tiles.
func putStoredHashes(b *bbolt.Bucket, n int64, stored []tlog.Hash) error {
	for level := 0; tileHeight*level < len(stored); level++ {
		i := n >> (tileHeight * level) // index of the new hash at tree level tileHeight·level
		k := tileKey(level, i>>tileHeight)
		pos := int(i&(1<<tileHeight-1)) * tlog.HashSize
		old := b.Get(k)
		if len(old) < pos {
			return fmt.Errorf("%w: tile %d/%d has %d bytes, hash %d of it is next", ErrCorrupt, level, i>>tileHeight, len(old), pos/tlog.HashSize)
		}
		data := make([]byte, pos, pos+tlog.HashSize)
		copy(data, old[:pos])
		data = append(data, stored[tileHeight*level][:]...)
		if err := b.Put(k, data); err != nil {
			return err
		}
	}
	return nil
}

// writeTiles writes every tile of a tree of size n from r.
func writeTiles(b *bbolt.Bucket, n int64, r tlog.HashReader) error {
	for _, t := range tlog.NewTiles(tileHeight, 0, n) {
		data, err := tlog.ReadTileData(t, r)
		if err != nil {
			return fmt.Errorf("tile %d/%d: %w", t.L, t.N, err)
		}
		if err := b.Put(tileKey(t.L, t.N), data); err != nil {
			return err
		}
	}
	return nil
}

// tileLog moves a schema-6 log to tiles (schema 7): it writes the tiles
// from the per-hash keys, checks the tree they make has the root the old
// one had, and drops the per-hash keys and both leaf maps — after
// checking that leaf n is fetch n+1, as the tiles take for granted.
func tileLog(tx *bbolt.Tx) error {
	b, err := tx.CreateBucketIfNotExists(bucketLogTiles)
	if err != nil {
		return err
	}
	b.FillPercent = 1
	old := tx.Bucket(bucketLog)
	if n := logSize(tx); n > 0 && old != nil {
		if err := checkLeafOrder(tx, n); err != nil {
			return err
		}
		if err := writeTiles(b, n, hashReader{old}); err != nil {
			return err
		}
		want, err := tlog.TreeHash(n, hashReader{old})
		if err != nil {
			return fmt.Errorf("root of the stored log: %w", err)
		}
		got, err := tlog.TreeHash(n, tileReader{b})
		if err != nil || got != want {
			return fmt.Errorf("%w: the tiled log's root %v is not the stored log's %v (%v)", ErrCorrupt, got, want, err)
		}
	}
	for _, name := range [][]byte{bucketLog, bucketLogLeaves, bucketLogIndex} {
		if tx.Bucket(name) != nil {
			if err := tx.DeleteBucket(name); err != nil {
				return fmt.Errorf("drop %s: %w", name, err)
			}
		}
	}
	return nil
}

// checkLeafOrder checks the schema-5 leaf maps hold leaf n ↔ fetch n+1.
func checkLeafOrder(tx *bbolt.Tx, n int64) error {
	leaves, index := tx.Bucket(bucketLogLeaves), tx.Bucket(bucketLogIndex)
	for i := range n {
		ref := leaves.Get(u64(uint64(i)))
		if len(ref) != 24 || fromU64(ref[16:]) != uint64(i)+1 {
			return fmt.Errorf("%w: log record %d is not fetch %d (leaf map %x); run \"clausewatch log check\" with the previous release", ErrCorrupt, i, i+1, ref)
		}
	}
	if k := index.Stats().KeyN; int64(k) != n {
		return fmt.Errorf("%w: the log index has %d fetches, the log %d records", ErrCorrupt, k, n)
	}
	return nil
}

// hashReader reads tree hashes stored one per key (schema 5 and 6), by
// tlog.StoredHashIndex: only to move them to tiles.
type hashReader struct{ b *bbolt.Bucket }

func (r hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		v := r.b.Get(u64(uint64(x)))
		if len(v) != tlog.HashSize {
			return nil, fmt.Errorf("%w: log hash %d missing", ErrCorrupt, x)
		}
		copy(out[i][:], v)
	}
	return out, nil
}
