package store

import (
	"fmt"
	"time"
)

// The compact fetch record for backends other than bbolt (PostgreSQL,
// decision record 0048): the same encoding (fetchrec.go), the same sets,
// kept by the backend behind FetchSets instead of in fetch_sets/<src>.

// FetchSets keeps one source's sets (context and header sets) for
// EncodeFetch and DecodeFetch. Sets are numbered from 1 in the order
// they are added and never change.
type FetchSets interface {
	// Set returns set seq.
	Set(seq uint64) ([]byte, error)
	// Find returns the number of the set with exactly this value, 0 when
	// the source has none.
	Find(value []byte) (uint64, error)
	// Add stores a new set and returns its number.
	Add(value []byte) (uint64, error)
	// LatestHeaderSets returns up to n of the source's header sets (value
	// starting with 'h'), newest first.
	LatestHeaderSets(n int) ([]NumberedSet, error)
}

// NumberedSet is a set and its number.
type NumberedSet struct {
	Seq   uint64
	Value []byte
}

// VersionReader reads version seq of generation gen of a fetch's source.
type VersionReader func(gen, seq uint64) (Version, error)

// EncodeFetch returns f's compact record, adding the sets it refers to
// when the source lacks them; ver is the version f saw (f.Version) and
// gen its generation, nil when there is none. It decodes the record and
// reports whether it reads back as f (the log leaf byte for byte and
// every field outside it); when it does not, store JSONFetch(f) instead.
func EncodeFetch(f Fetch, sets FetchSets, gen uint64, ver *Version) ([]byte, bool, error) {
	w := newSetResolver(sets.Set, func(g, seq uint64) (Version, error) {
		return Version{}, fmt.Errorf("version %d/%d not given", g, seq)
	})
	refs := fetchRefs{}
	if ver != nil && f.Version != 0 {
		refs.gen, refs.version = gen, ver
		w.versions[[2]uint64{gen, f.Version}] = *ver
	}
	var err error
	if c := contextOf(f); !c.empty() {
		if refs.context, err = findOrAdd(sets, encodeContext(c)); err != nil {
			return nil, false, err
		}
		w.contexts[refs.context] = c
	}
	if refs.header, refs.base, err = headerBaseIn(sets, w, f); err != nil {
		return nil, false, err
	}
	data := encodeFetch(f, refs)
	got, err := decodeFetch(data, f.SourceID, fetchKey(f.Start, f.ID), w)
	return data, err == nil && sameFetch(got, f), nil
}

// JSONFetch is f as JSON: the record stored when the compact one does
// not read back as f, and the only one before compact records.
func JSONFetch(f Fetch) ([]byte, error) { return jsonMarshal(f) }

// FetchDecoder decodes the records of one source, keeping the sets and
// versions it has read.
type FetchDecoder struct {
	src uint64
	r   *setResolver
}

// NewFetchDecoder decodes records of source src.
func NewFetchDecoder(src uint64, sets FetchSets, versions VersionReader) *FetchDecoder {
	return &FetchDecoder{src: src, r: newSetResolver(sets.Set, versions)}
}

// Decode reads the record of fetch id, which started at start (Unix
// nanoseconds): compact, or JSON (first byte '{'). Errors wrap
// ErrCorrupt.
func (d *FetchDecoder) Decode(data []byte, start int64, id uint64) (Fetch, error) {
	if len(data) > 0 && data[0] == '{' {
		var f Fetch
		err := decode(data, &f)
		return f, err
	}
	f, err := decodeFetch(data, d.src, fetchKey(time.Unix(0, start), id), d.r)
	if err != nil {
		return Fetch{}, fmt.Errorf("%w: fetch %d of source %d: %v", ErrCorrupt, id, d.src, err)
	}
	return f, nil
}

// setResolver is a fetchResolver over a source's sets and versions,
// keeping what it has read: set reads set seq, read a version.
type setResolver struct {
	set      func(seq uint64) ([]byte, error)
	read     VersionReader
	contexts map[uint64]fetchContext
	headerz  map[uint64]map[string][]string
	versions map[[2]uint64]Version
}

func newSetResolver(set func(seq uint64) ([]byte, error), read VersionReader) *setResolver {
	return &setResolver{set: set, read: read, contexts: map[uint64]fetchContext{},
		headerz: map[uint64]map[string][]string{}, versions: map[[2]uint64]Version{}}
}

func (r *setResolver) context(seq uint64) (fetchContext, error) {
	if c, ok := r.contexts[seq]; ok {
		return c, nil
	}
	v, err := r.set(seq)
	if err != nil {
		return fetchContext{}, err
	}
	c, err := decodeContext(v)
	if err == nil {
		r.contexts[seq] = c
	}
	return c, err
}

func (r *setResolver) headers(seq uint64) (map[string][]string, error) {
	if h, ok := r.headerz[seq]; ok {
		return h, nil
	}
	v, err := r.set(seq)
	if err != nil {
		return nil, err
	}
	h, err := decodeHeaderSet(v)
	if err == nil {
		r.headerz[seq] = h
	}
	return h, err
}

func (r *setResolver) version(gen, seq uint64) (Version, error) {
	if v, ok := r.versions[[2]uint64{gen, seq}]; ok {
		return v, nil
	}
	v, err := r.read(gen, seq)
	if err == nil {
		r.versions[[2]uint64{gen, seq}] = v
	}
	return v, err
}

// findOrAdd returns the number of a set, adding it when it is new.
func findOrAdd(sets FetchSets, value []byte) (uint64, error) {
	seq, err := sets.Find(value)
	if err != nil || seq != 0 {
		return seq, err
	}
	return sets.Add(value)
}

// headerBaseIn is headerBase (fetchstore.go) over FetchSets: the latest
// few header sets, the one the delta is smallest against, unless that
// delta is over half a set of f's own headers.
func headerBaseIn(sets FetchSets, w *setResolver, f Fetch) (uint64, map[string][]string, error) {
	if len(f.Header) == 0 {
		return 0, nil, nil
	}
	own := encodeHeaderSet(f.Header)
	latest, err := sets.LatestHeaderSets(headerCandidates)
	if err != nil {
		return 0, nil, err
	}
	var best uint64
	var bestBase map[string][]string
	bestSize := len(own) / 2
	for _, s := range latest {
		h, err := decodeHeaderSet(s.Value)
		if err != nil {
			continue
		}
		e := &encoder{}
		e.headerDelta(f.Header, h, &f.Start)
		if len(e.b) <= bestSize {
			best, bestBase, bestSize = s.Seq, h, len(e.b)
		}
	}
	if best == 0 {
		if best, err = findOrAdd(sets, own); err != nil {
			return 0, nil, err
		}
		bestBase = cloneHeader(f.Header)
	}
	w.headerz[best] = bestBase
	return best, bestBase, nil
}
