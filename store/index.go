package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"

	"go.etcd.io/bbolt"
)

// The feed's indexes (schema 8, decision record 0026). They are derived
// from the changes and sources buckets, written in the transaction that
// writes a change or a source, and rebuilt whole by the migration.
//
//	change_index   's' <src> <id>          posting
//	               'r' <id>                posting (changes that call for re-vetting)
//	               't' <len> <state> <id>  posting (by triage state, "" included)
//	supplier_index <len> <supplier> <src>  empty (every source, "" supplier included)
//
// A posting is the change's source ID, a flags byte and its triage
// state: enough to test every ChangeQuery filter without decoding the
// change, whichever list the query walks.
var (
	bucketChangeIndex   = []byte("change_index")
	bucketSupplierIndex = []byte("supplier_index")
)

// The families of keys in change_index.
const (
	famSource byte = 's'
	famRevet  byte = 'r'
	famTriage byte = 't'
)

// Posting flags.
const (
	flagRevet byte = 1 << iota
	flagReextracted
)

// posting is what an index entry says about a change.
type posting struct {
	source uint64
	flags  byte
	triage TriageState
}

func postingOf(c *Change) posting {
	p := posting{source: c.SourceID, triage: c.Triage.State}
	if c.Revet {
		p.flags |= flagRevet
	}
	if c.Reextracted {
		p.flags |= flagReextracted
	}
	return p
}

func (p posting) encode() []byte {
	b := make([]byte, 9, 9+len(p.triage))
	binary.BigEndian.PutUint64(b, p.source)
	b[8] = p.flags
	return append(b, p.triage...)
}

func decodePosting(v []byte) (posting, error) {
	if len(v) < 9 {
		return posting{}, fmt.Errorf("%w: change index entry of %d bytes", ErrCorrupt, len(v))
	}
	return posting{source: binary.BigEndian.Uint64(v), flags: v[8], triage: TriageState(v[9:])}, nil
}

// lenPrefixed appends s with its length as a uvarint, so that no string
// is a prefix of another's key.
func lenPrefixed(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// sourcePrefix, revetPrefix and triagePrefix start the keys of one list
// of change_index; the change ID follows.
func sourcePrefix(src uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{famSource}, src)
}

func revetPrefix() []byte { return []byte{famRevet} }

func triagePrefix(s TriageState) []byte { return lenPrefixed([]byte{famTriage}, string(s)) }

// supplierPrefix starts the keys of one supplier's sources.
func supplierPrefix(name string) []byte { return lenPrefixed(nil, name) }

// changeKeys are the change_index keys of c.
func changeKeys(c *Change) [][]byte {
	id := u64(c.ID)
	keys := [][]byte{append(sourcePrefix(c.SourceID), id...), append(triagePrefix(c.Triage.State), id...)}
	if c.Revet {
		keys = append(keys, append(revetPrefix(), id...))
	}
	return keys
}

// indexChange updates change_index for a change written in tx: old is
// the change as it was stored before (nil for a new one), c as it is
// stored now.
func indexChange(tx *bbolt.Tx, old, c *Change) error {
	b := tx.Bucket(bucketChangeIndex)
	if old != nil {
		for _, k := range changeKeys(old) {
			if err := b.Delete(k); err != nil {
				return fmt.Errorf("change index of change %d: %w", old.ID, err)
			}
		}
	}
	v := postingOf(c).encode()
	for _, k := range changeKeys(c) {
		if err := b.Put(k, v); err != nil {
			return fmt.Errorf("change index of change %d: %w", c.ID, err)
		}
	}
	return nil
}

// indexSupplier moves source s in supplier_index from the supplier of
// old, the source as it was stored before (nil for a new source), to its
// own.
func indexSupplier(tx *bbolt.Tx, old *Source, s *Source) error {
	b := tx.Bucket(bucketSupplierIndex)
	if old != nil {
		if old.Supplier == s.Supplier {
			return nil
		}
		if err := b.Delete(binary.BigEndian.AppendUint64(supplierPrefix(old.Supplier), s.ID)); err != nil {
			return fmt.Errorf("supplier index of source %d: %w", s.ID, err)
		}
	}
	if err := b.Put(binary.BigEndian.AppendUint64(supplierPrefix(s.Supplier), s.ID), nil); err != nil {
		return fmt.Errorf("supplier index of source %d: %w", s.ID, err)
	}
	return nil
}

// supplierSources returns the IDs of a supplier's sources, in ID order.
func supplierSources(tx *bbolt.Tx, name string) []uint64 {
	prefix := supplierPrefix(name)
	ids := []uint64{} // a supplier with no sources selects nothing, not everything
	c := tx.Bucket(bucketSupplierIndex).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) == len(prefix)+8 {
			ids = append(ids, fromU64(k[len(prefix):]))
		}
	}
	return ids
}

// buildIndexes (re)builds change_index and supplier_index from the
// changes and sources: the migration to schema 8. It starts from empty
// buckets, so running it again gives the same indexes. A record that
// does not decode is left out rather than fail the migration (and with
// it Open): reading it fails anyway, and Check reports it.
func buildIndexes(tx *bbolt.Tx) error {
	for _, name := range [][]byte{bucketChangeIndex, bucketSupplierIndex} {
		if tx.Bucket(name) != nil {
			if err := tx.DeleteBucket(name); err != nil {
				return fmt.Errorf("drop bucket %s: %w", name, err)
			}
		}
		if _, err := tx.CreateBucket(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	err := tx.Bucket(bucketSources).ForEach(func(k, v []byte) error {
		var s Source
		if decode(v, &s) != nil {
			return nil
		}
		s.ID = fromU64(k)
		return indexSupplier(tx, nil, &s)
	})
	if err != nil {
		return err
	}
	return tx.Bucket(bucketChanges).ForEach(func(k, v []byte) error {
		var c Change
		if decode(v, &c) != nil {
			return nil
		}
		c.ID = fromU64(k)
		return indexChange(tx, nil, &c)
	})
}

// checkIndexes reports where change_index and supplier_index disagree
// with the changes and sources they are built from (Check).
func checkIndexes(tx *bbolt.Tx, errs *[]error) {
	want := map[string][]byte{}
	tx.Bucket(bucketChanges).ForEach(func(k, v []byte) error {
		var c Change
		if decode(v, &c) != nil {
			return nil // Check reports it with the changes
		}
		c.ID = fromU64(k)
		p := postingOf(&c).encode()
		for _, key := range changeKeys(&c) {
			want[string(key)] = p
		}
		return nil
	})
	compareIndex(tx.Bucket(bucketChangeIndex), want, "change index", errs)
	want = map[string][]byte{}
	tx.Bucket(bucketSources).ForEach(func(k, v []byte) error {
		var s Source
		if decode(v, &s) == nil {
			want[string(binary.BigEndian.AppendUint64(supplierPrefix(s.Supplier), fromU64(k)))] = nil
		}
		return nil
	})
	compareIndex(tx.Bucket(bucketSupplierIndex), want, "supplier index", errs)
}

// compareIndex reports the entries of b that want lacks or has with
// another value, and those of want that b lacks.
func compareIndex(b *bbolt.Bucket, want map[string][]byte, what string, errs *[]error) {
	if b == nil {
		*errs = append(*errs, fmt.Errorf("%s: %w: bucket missing", what, ErrCorrupt))
		return
	}
	const most = 10 // a stale index would otherwise bury the other problems
	n := 0
	report := func(format string, args ...any) {
		if n++; n <= most {
			*errs = append(*errs, fmt.Errorf("%s: %w: "+format, append([]any{what, ErrCorrupt}, args...)...))
		}
	}
	b.ForEach(func(k, v []byte) error {
		w, ok := want[string(k)]
		switch {
		case !ok:
			report("entry %x has no record", k)
		case !bytes.Equal(v, w):
			report("entry %x is %x, want %x", k, v, w)
		}
		delete(want, string(k))
		return nil
	})
	for _, k := range slices.Sorted(maps.Keys(want)) {
		report("entry %x missing", []byte(k))
	}
	if n > most {
		*errs = append(*errs, fmt.Errorf("%s: %w: %d more problems", what, ErrCorrupt, n-most))
	}
}
