package store

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkCheckRead compares what a check reads before it fetches, for a
// source with 1 and with 20 versions: Current (the state and the current
// version, one transaction) against State then GenerationVersions (every
// version of the generation decoded), as a check read before.
//
//	go test ./store -run '^$' -bench '^BenchmarkCheckRead$'
func BenchmarkCheckRead(b *testing.B) {
	for _, n := range []int{1, 20} {
		db, src := benchDB(b)
		st, err := db.State(b.Context(), src.ID)
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		g := Generation{}
		for i := range n {
			at := t0.Add(time.Duration(i) * 24 * time.Hour)
			g.Versions = append(g.Versions, Version{Seq: uint64(i + 1), TextSHA256: Hash(fmt.Appendf(nil, "text %d", i)), DocSHA256: Hash(fmt.Appendf(nil, "doc %d", i)),
				BodySHA256: Hash(fmt.Appendf(nil, "body %d", i)), Extractor: "extract/3", Reading: "0123456789abcdef", Title: "Privacy policy",
				Clauses: 80, Words: 4500, FirstSeen: at, LastSeen: at.Add(time.Hour), FirstFetch: uint64(2*i + 1), LastFetch: uint64(2*i + 2)})
		}
		if _, err := db.ReplaceGeneration(b.Context(), src.ID, st.Rev, g); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("current/versions=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, v, err := db.Current(b.Context(), src.ID); err != nil || v == nil || v.Seq != uint64(n) {
					b.Fatal(v, err)
				}
			}
		})
		b.Run(fmt.Sprintf("state+generation/versions=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				st, err := db.State(b.Context(), src.ID)
				if err != nil {
					b.Fatal(err)
				}
				if vs, err := db.GenerationVersions(b.Context(), src.ID, st.Generation); err != nil || len(vs) != n {
					b.Fatal(len(vs), err)
				}
			}
		})
	}
}
