package store

import (
	"bytes"
	"container/heap"
	"fmt"
	"maps"
	"math"
	"slices"

	"go.etcd.io/bbolt"
)

// selection is a ChangeQuery resolved in a transaction: the supplier
// turned into its sources, lists deduplicated.
type selection struct {
	sources     map[uint64]bool // nil: any source
	revet       bool
	triage      []TriageState // nil: any state
	reextracted bool
}

func selectionOf(tx *bbolt.Tx, q ChangeQuery) selection {
	s := selection{revet: q.Revet, reextracted: q.Reextracted}
	if q.Triage != nil {
		s.triage = slices.Clone(q.Triage) // non-nil when q.Triage is: an empty list selects nothing
		slices.Sort(s.triage)
		s.triage = slices.Compact(s.triage)
	}
	if q.Sources != nil {
		s.sources = make(map[uint64]bool, len(q.Sources))
		for _, id := range q.Sources {
			s.sources[id] = true
		}
	}
	if q.Supplier != "" {
		of := supplierSources(tx, q.Supplier)
		if s.sources != nil {
			of = slices.DeleteFunc(of, func(id uint64) bool { return !s.sources[id] })
		}
		s.sources = make(map[uint64]bool, len(of))
		for _, id := range of {
			s.sources[id] = true
		}
	}
	return s
}

// pass reports whether a change with posting p is selected.
func (s selection) pass(p posting) bool {
	switch {
	case s.sources != nil && !s.sources[p.source],
		s.revet && p.flags&flagRevet == 0,
		s.triage != nil && !slices.Contains(s.triage, p.triage),
		!s.reextracted && p.flags&flagReextracted != 0:
		return false
	}
	return true
}

// lists picks the lists of change_index that hold every selected change,
// the narrowest first: one per source when the query names sources (or a
// supplier), else one per triage state when the states asked for are
// the rare ones (not "new"), else the re-vet list, else one per state.
// ok is false when no list narrows the query: then the changes bucket is
// walked itself.
func (s selection) lists(tx *bbolt.Tx) (lists []*postingList, ok bool) {
	c := func() *bbolt.Cursor { return tx.Bucket(bucketChangeIndex).Cursor() }
	rare := s.triage != nil && !slices.Contains(s.triage, TriageNew) && !slices.Contains(s.triage, "")
	switch {
	case s.sources != nil:
		for _, id := range slices.Sorted(maps.Keys(s.sources)) {
			lists = append(lists, &postingList{c: c(), prefix: sourcePrefix(id)})
		}
	case rare || (s.triage != nil && !s.revet):
		for _, st := range s.triage {
			lists = append(lists, &postingList{c: c(), prefix: triagePrefix(st)})
		}
	case s.revet:
		lists = append(lists, &postingList{c: c(), prefix: revetPrefix()})
	default:
		return nil, false
	}
	return lists, true
}

// postingList walks one list of change_index from the newest change
// down.
type postingList struct {
	c      *bbolt.Cursor
	prefix []byte
	k, v   []byte // the current entry; k nil when the list is done
}

// seekBelow moves to the list's newest change with an ID below id.
func (l *postingList) seekBelow(id uint64) {
	if k, _ := l.c.Seek(append(slices.Clip(l.prefix), u64(id)...)); k == nil {
		l.set(l.c.Last())
	} else {
		l.set(l.c.Prev())
	}
}

func (l *postingList) prev() { l.set(l.c.Prev()) }

func (l *postingList) set(k, v []byte) {
	if !bytes.HasPrefix(k, l.prefix) {
		k, v = nil, nil
	}
	l.k, l.v = k, v
}

func (l *postingList) id() uint64 { return fromU64(l.k[len(l.prefix):]) }

// newestFirst merges posting lists into one walk by change ID, highest
// first (a heap on each list's current ID). The lists hold distinct
// changes: a change has one source and one triage state.
type newestFirst []*postingList

func (h newestFirst) Len() int           { return len(h) }
func (h newestFirst) Less(i, j int) bool { return h[i].id() > h[j].id() }
func (h newestFirst) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *newestFirst) Push(x any)        { *h = append(*h, x.(*postingList)) }
func (h *newestFirst) Pop() any {
	old := *h
	l := old[len(old)-1]
	*h = old[:len(old)-1]
	return l
}

// indexedPage is ChangePage over posting lists: it tests each change the
// lists hold against s by its posting and decodes only those selected,
// up to limit, and returns the Before of the next page (0 when none).
func indexedPage(tx *bbolt.Tx, lists []*postingList, s selection, before uint64, limit int) ([]Change, uint64, error) {
	if before == 0 {
		before = math.MaxUint64
	}
	h := make(newestFirst, 0, len(lists))
	for _, l := range lists {
		if l.seekBelow(before); l.k != nil {
			h = append(h, l)
		}
	}
	heap.Init(&h)
	changes := tx.Bucket(bucketChanges)
	var out []Change
	for h.Len() > 0 {
		l := h[0]
		id := l.id()
		p, err := decodePosting(l.v)
		if err != nil {
			return nil, 0, fmt.Errorf("change index entry %x: %w", l.k, err)
		}
		if s.pass(p) {
			if len(out) == limit {
				return out, out[len(out)-1].ID, nil
			}
			c, err := indexedChange(changes, id, p)
			if err != nil {
				return nil, 0, err
			}
			out = append(out, c)
		}
		if l.prev(); l.k == nil {
			heap.Pop(&h)
		} else {
			heap.Fix(&h, 0)
		}
	}
	return out, 0, nil
}

// indexedChange reads the change an index entry names, and refuses one
// the entry does not describe (a stale index, which Check reports).
func indexedChange(changes *bbolt.Bucket, id uint64, p posting) (Change, error) {
	var c Change
	v := changes.Get(u64(id))
	if v == nil {
		return c, fmt.Errorf("%w: the change index names change %d, which does not exist", ErrCorrupt, id)
	}
	if err := decode(v, &c); err != nil {
		return c, fmt.Errorf("change %d: %w", id, err)
	}
	if postingOf(&c) != p {
		return c, fmt.Errorf("%w: the change index is out of date for change %d", ErrCorrupt, id)
	}
	return c, nil
}

// scanPage is ChangePage without an index: it walks and decodes the
// changes newest first. It serves queries that select (nearly) every
// change, where the first page is found among the newest changes.
func scanPage(tx *bbolt.Tx, s selection, before uint64, limit int) ([]Change, uint64, error) {
	c := tx.Bucket(bucketChanges).Cursor()
	var k, v []byte
	if before == 0 {
		k, v = c.Last()
	} else if k, _ = c.Seek(u64(before)); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	var out []Change
	for ; k != nil; k, v = c.Prev() {
		var ch Change
		if err := decode(v, &ch); err != nil {
			return nil, 0, fmt.Errorf("change %d: %w", fromU64(k), err)
		}
		if !s.pass(postingOf(&ch)) {
			continue
		}
		if len(out) == limit {
			return out, out[len(out)-1].ID, nil
		}
		out = append(out, ch)
	}
	return out, 0, nil
}

// sourceChanges calls fn with each change of one source, oldest first,
// through the change index.
func sourceChanges(tx *bbolt.Tx, src uint64, fn func(Change) error) error {
	prefix := sourcePrefix(src)
	changes := tx.Bucket(bucketChanges)
	c := tx.Bucket(bucketChangeIndex).Cursor()
	for k, v := c.Seek(prefix); bytes.HasPrefix(k, prefix); k, v = c.Next() {
		p, err := decodePosting(v)
		if err != nil {
			return fmt.Errorf("change index entry %x: %w", k, err)
		}
		ch, err := indexedChange(changes, fromU64(k[len(prefix):]), p)
		if err != nil {
			return err
		}
		if err := fn(ch); err != nil {
			return err
		}
	}
	return nil
}
