package store

import (
	"bytes"
	"fmt"
	"testing"
)

// memSets is FetchSets in memory, for the fuzz target (the backends'
// own are tested on real storage: pgstore's suite).
type memSets struct{ sets [][]byte }

func (m *memSets) Set(seq uint64) ([]byte, error) {
	if seq == 0 || seq > uint64(len(m.sets)) {
		return nil, fmt.Errorf("set %d: %w", seq, ErrNotFound)
	}
	return m.sets[seq-1], nil
}

func (m *memSets) Find(value []byte) (uint64, error) {
	for i, s := range m.sets {
		if bytes.Equal(s, value) {
			return uint64(i) + 1, nil
		}
	}
	return 0, nil
}

func (m *memSets) Add(value []byte) (uint64, error) {
	m.sets = append(m.sets, bytes.Clone(value))
	return uint64(len(m.sets)), nil
}

func (m *memSets) LatestHeaderSets(n int) ([]NumberedSet, error) {
	var out []NumberedSet
	for i := len(m.sets) - 1; i >= 0 && len(out) < n; i-- {
		if len(m.sets[i]) > 0 && m.sets[i][0] == setHeader {
			out = append(out, NumberedSet{Seq: uint64(i) + 1, Value: m.sets[i]})
		}
	}
	return out, nil
}

// FuzzFetchDecoder: through the exported codec (FetchDecoder, EncodeFetch),
// any record and sets either fail to decode with an error or decode to a
// fetch that EncodeFetch stores (compact, or JSON when it says so) so
// that it decodes to the same fetch and log leaf again. Nothing panics.
func FuzzFetchDecoder(f *testing.F) {
	samples := sampleFetches()
	base := samples["unchanged"].Header
	for _, s := range samples {
		f.Add(encodeFetch(s, fetchRefs{context: 1, header: 2, base: base}), encodeContext(contextOf(s)), encodeHeaderSet(base))
	}
	f.Add([]byte(`{"v":1,"id":7}`), []byte{setContext}, []byte{setHeader})
	f.Fuzz(func(t *testing.T, rec, ctxSet, hdrSet []byte) {
		versions := func(gen, seq uint64) (Version, error) {
			if gen == 2 && seq == sampleVersion.Seq {
				return sampleVersion, nil
			}
			return Version{}, ErrNotFound
		}
		start := samples["unchanged"].Start.UnixNano()
		got, err := NewFetchDecoder(1, &memSets{sets: [][]byte{ctxSet, hdrSet}}, versions).Decode(rec, start, 7)
		if err != nil || got.SourceID != 1 || got.Start.UnixNano() != start || got.ID != 7 {
			return // an error, or JSON naming another fetch: not a record of this key
		}
		var ver *Version
		if got.Version == sampleVersion.Seq {
			ver = &sampleVersion
		}
		sets := &memSets{}
		data, ok, err := EncodeFetch(got, sets, 2, ver)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			if data, err = JSONFetch(got); err != nil {
				t.Fatal(err)
			}
		}
		again, err := NewFetchDecoder(1, sets, versions).Decode(data, start, 7)
		if err != nil {
			t.Fatalf("%+v stored (compact %v) does not decode: %v", got, ok, err)
		}
		if !sameFetch(again, got) {
			t.Fatalf("stored (compact %v)\n%s\nwant\n%s", ok, LogLeaf(again), LogLeaf(got))
		}
	})
}
