package vetting_test

import (
	"testing"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
)

// TestDeadlinesByDueDate: the deadlines list is in due-date order (a
// calendar: what falls first comes first), whatever the states — here an
// overdue renewal, a rubric re-vet, an open update window and a renewal in
// its notice period.
func TestDeadlinesByDueDate(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	for _, r := range []store.Rubric{{Version: "1.0", Released: "2018-09-01"}, {Version: "2.0", Released: "2022-03-01"}} {
		if _, err := w.DB.AddRubric(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	w.Clock.Set(at("2022-05-13"))
	if _, err := w.Program.Notify(ctx, vetting.NotifyRequest{Supplier: ims, When: "2022-05-13", Tickets: tickets2022}); err != nil {
		t.Fatal(err)
	}
	items, err := w.Program.Deadlines(ctx, at("2022-05-14"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.Kind+" "+it.Day+" "+it.State)
	}
	want := []string{"renewal 2021-06-15 overdue", "rubric 2022-04-30 overdue", "update 2022-05-23 open", "renewal 2022-06-15 due"}
	if len(got) != len(want) {
		t.Fatalf("deadlines %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("deadline %d is %q, want %q (list %q)", i, got[i], want[i], got)
		}
	}
}
