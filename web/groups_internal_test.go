package web

import (
	"testing"

	"github.com/clausewatch/clausewatch/diff"
)

// TestGroupsFold: on the change page substantive changes are open, and
// editorial changes fold like rename-only and cosmetic ones (a reader
// opens them when wanted), in significance order.
func TestGroupsFold(t *testing.T) {
	r := &diff.Result{Changes: []diff.Change{{Class: diff.Cosmetic}, {Class: diff.Editorial}, {Class: diff.RenameOnly}, {Class: diff.Substantive}}}
	r.Counts.Substantive, r.Counts.Editorial, r.Counts.Rename, r.Counts.Cosmetic = 1, 1, 1, 1
	want := []struct {
		class  diff.Class
		folded bool
	}{{diff.Substantive, false}, {diff.Editorial, true}, {diff.RenameOnly, true}, {diff.Cosmetic, true}}
	got := groupChanges(r)
	if len(got) != len(want) {
		t.Fatalf("%d groups, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Class != w.class || got[i].Folded != w.folded || len(got[i].Changes) != 1 {
			t.Errorf("group %d: %s folded=%v (%d changes), want %s folded=%v", i, got[i].Class, got[i].Folded, len(got[i].Changes), w.class, w.folded)
		}
	}
}
