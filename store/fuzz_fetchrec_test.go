package store

import (
	"testing"
)

// FuzzFetchRecord: any bytes either fail to decode with an error or
// decode to a fetch whose own compact record decodes to it again; sets
// likewise. Nothing panics.
func FuzzFetchRecord(f *testing.F) {
	samples := sampleFetches()
	base := samples["unchanged"].Header
	for _, s := range samples {
		f.Add(encodeFetch(s, fetchRefs{context: 1, header: 2, base: base}), encodeContext(contextOf(s)), encodeHeaderSet(s.Header))
	}
	f.Add([]byte{fetchFormat, 0xff, 0xff, 0xff, 0xff, 0x0f}, []byte{setContext}, []byte{setHeader, 0xff, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, rec, ctxSet, hdrSet []byte) {
		c, cerr := decodeContext(ctxSet)
		h, herr := decodeHeaderSet(hdrSet)
		if cerr == nil {
			if _, err := decodeContext(encodeContext(c)); err != nil {
				t.Fatalf("context set re-encoded does not decode: %v", err)
			}
		}
		m := memRefs{contexts: map[uint64]fetchContext{}, headerz: map[uint64]map[string][]string{}, versions: map[[2]uint64]Version{{2, 3}: sampleVersion}}
		if cerr == nil {
			m.contexts[1] = c
		}
		if herr == nil {
			m.headerz[2] = h
		}
		key := fetchKey(samples["unchanged"].Start, 7)
		got, err := decodeFetch(rec, 1, key, m)
		if err != nil {
			return
		}
		refs := fetchRefs{base: m.headerz[2], gen: 2}
		if cerr == nil {
			refs.context = 1
		}
		if herr == nil {
			refs.header = 2
		}
		if got.Version == sampleVersion.Seq {
			refs.version = &sampleVersion
		}
		if !sameHeader(contextOf(got).RequestHeader, c.RequestHeader) || contextOf(got).empty() != c.empty() {
			refs.context, m.contexts[1] = 1, contextOf(got)
		}
		again, err := decodeFetch(encodeFetch(got, refs), 1, fetchKey(got.Start, got.ID), m)
		if err != nil {
			t.Fatalf("%+v re-encoded does not decode: %v", got, err)
		}
		if !sameFetch(again, got) {
			t.Fatalf("re-encoded\n%s\nwant\n%s", LogLeaf(again), LogLeaf(got))
		}
	})
}
