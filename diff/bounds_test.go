package diff_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"runtime"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
)

var hostileFull = flag.Bool("hostile-full", false, "compare the full-size hostile documents of issue 17 (150,000 clauses) in TestCompareBounds")

// tinyDoc is a document of n tiny clauses, the shape of the hostile page
// of issue 17; the clauses i with changed(i) name an affiliate instead of
// a partner (a new recipient: a substantive change).
func tinyDoc(n int, changed func(i int) bool) *extract.Document {
	doc := &extract.Document{Title: "Privacy policy", Format: extract.FormatHTML, Clauses: make([]extract.Clause, n)}
	for i := range n {
		who := "partner"
		if changed(i) {
			who = "affiliate"
		}
		text := fmt.Sprintf("Clause %06d: we may share your data with %s %06d.", i, who, i)
		doc.Clauses[i] = extract.Clause{Kind: extract.Paragraph, Path: []string{}, Text: text, Display: text}
	}
	return doc
}

// TestCompareBounds: documents larger than the old alignment bound (2,000
// clauses a side) still align clause by clause, so only the changed
// clauses are changes; documents beyond the cap Compare reads (the most
// clauses extract makes) are compared up to it and say so, with the
// memory and the size of the result bounded.
func TestCompareBounds(t *testing.T) {
	every10th := func(i int) bool { return i%10 == 0 }
	const maxAlloc = 256 << 20 // bytes allocated by one Compare
	const maxJSON = 2 << 20    // bytes of the result as JSON
	tests := []struct {
		name      string
		n         int
		compared  int // clauses of each side compared
		truncated bool
	}{
		{name: "corpus-size", n: 740, compared: 740},
		{name: "past-old-bound", n: 3000, compared: 3000},
		{name: "at-cap", n: extract.MaxClauses + 1, compared: extract.MaxClauses + 1},
		{name: "hostile-30k", n: 30_000, compared: extract.MaxClauses + 1, truncated: true},
		{name: "hostile-150k", n: 150_000, compared: extract.MaxClauses + 1, truncated: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.n > 100_000 && !*hostileFull {
				t.Skip("full-size hostile documents: run with -hostile-full")
			}
			a := tinyDoc(tt.n, func(int) bool { return false })
			b := tinyDoc(tt.n, every10th)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			r := diff.Compare(a, b, nil)
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc

			wantChanges := (tt.compared + 9) / 10
			if len(r.Changes) != wantChanges || r.Counts.Substantive != wantChanges || r.Counts.Unchanged != tt.compared-wantChanges {
				t.Errorf("got %d changes (%d substantive, %d unchanged), want %d substantive and %d unchanged",
					len(r.Changes), r.Counts.Substantive, r.Counts.Unchanged, wantChanges, tt.compared-wantChanges)
			}
			if r.Truncated != tt.truncated {
				t.Errorf("got Truncated %v, want %v (summary %q)", r.Truncated, tt.truncated, r.Summary)
			}
			if r.Old.Clauses != tt.n || r.New.Clauses != tt.n {
				t.Errorf("got document sizes %d and %d, want %d", r.Old.Clauses, r.New.Clauses, tt.n)
			}
			if alloc > maxAlloc {
				t.Errorf("Compare allocated %d MB, want at most %d MB", alloc>>20, maxAlloc>>20)
			}
			data, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if len(data) > maxJSON {
				t.Errorf("got a result of %d bytes as JSON, want at most %d", len(data), maxJSON)
			}
			t.Logf("%d clauses a side: %d changes, %d MB allocated, %d KB of JSON", tt.n, len(r.Changes), alloc>>20, len(data)>>10)
		})
	}
}

// TestCompareLongClause: a clause too long for a word diff (past
// maxSeqCells) is shown as one replacement, built in linear time and
// memory: its inline spans were built by concatenating token by token,
// which allocated 6 GB for one clause of 128 KB.
func TestCompareLongClause(t *testing.T) {
	const perByte = 512 // bytes allocated per byte of each clause
	for _, size := range []int{128 << 10, extract.MaxText} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			maxAlloc := uint64(perByte * size)
			long := func(who string) *extract.Document {
				var b []byte
				for i := 0; len(b) < size-100; i++ {
					b = fmt.Appendf(b, "Clause %06d: we may share your data with %s %06d. ", i, who, i)
				}
				text := string(b[:len(b)-1])
				return &extract.Document{Clauses: []extract.Clause{{Kind: extract.Paragraph, Path: []string{}, Text: text, Display: text}}}
			}
			a, b := long("partner"), long("affiliate")
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			r := diff.Compare(a, b, nil)
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			if alloc > maxAlloc {
				t.Errorf("Compare allocated %d MB, want at most %d MB", alloc>>20, maxAlloc>>20)
			}
			t.Logf("%d KB a side: %d MB allocated", size>>10, alloc>>20)
			if len(r.Changes) != 1 || len(r.Changes[0].Inline) != 2 {
				t.Fatalf("got %d changes, want 1 replacing the whole clause", len(r.Changes))
			}
			if got, want := r.Changes[0].Inline[0].Text, a.Clauses[0].Display; got != want {
				t.Errorf("got the removed text %.40q… (%d bytes), want the old clause (%d bytes)", got, len(got), len(want))
			}
		})
	}
}
