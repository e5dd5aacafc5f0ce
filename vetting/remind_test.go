package vetting_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
)

// TestRemind walks fixed clocks across a renewal's notice date and an
// update window's day 7, in a supplier zone far from UTC, with the
// deadlines as Program computes them.
func TestRemind(t *testing.T) {
	ctx := t.Context()
	db, err := store.Open(filepath.Join(t.TempDir(), "remind.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Awarded 2024-05-10: renewal 2026-05-10, notice 60 days before, on
	// 2026-03-11. Notified 2026-03-02 (day 0): day 7 is 2026-03-09, the
	// last day 2026-03-12. Days are counted in Auckland.
	if _, err := db.PutSupplier(ctx, store.Supplier{Name: "Acme", Awarded: "2024-05-10", Zone: "Pacific/Auckland"}); err != nil {
		t.Fatal(err)
	}
	akl, _ := time.LoadLocation("Pacific/Auckland")
	if _, err := db.AddNotification(ctx, store.Notification{Supplier: "Acme", Date: "2026-03-02", Zone: "Pacific/Auckland",
		At: time.Date(2026, 3, 2, 9, 0, 0, 0, akl)}); err != nil {
		t.Fatal(err)
	}
	prog := &vetting.Program{DB: db}
	at := func(s string) time.Time { // noon, Auckland time
		d, err := vetting.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d.Start(akl).Add(12 * time.Hour)
	}
	for _, tc := range []struct {
		now     time.Time
		renewal bool // a renewal reminder is due
		update  bool // an update-window reminder is due
	}{
		{at("2026-03-08"), false, false},
		// 2026-03-08 20:00 UTC is already 9 March in Auckland: day 7.
		{time.Date(2026, 3, 8, 20, 0, 0, 0, time.UTC), false, true},
		{time.Date(2026, 3, 8, 10, 0, 0, 0, time.UTC), false, false},
		{at("2026-03-09"), false, true},
		{at("2026-03-10"), false, true}, // late, still inside the window
		{at("2026-03-11"), true, true},  // the notice date
		{at("2026-03-12"), true, true},  // the window's last day
		{at("2026-03-13"), true, false}, // the window has closed
		{at("2026-03-10").AddDate(0, 0, -1), false, true},
		{at("2026-05-10"), true, false}, // the renewal day itself
		{at("2026-05-11"), false, false},
	} {
		items, err := prog.Deadlines(ctx, tc.now)
		if err != nil {
			t.Fatal(err)
		}
		var renewal, update bool
		for _, it := range items {
			if !vetting.Remind(it, tc.now) {
				continue
			}
			switch it.Kind {
			case "renewal":
				renewal = true
				if day, _ := vetting.ReminderDate(it); day.String() != "2026-03-11" {
					t.Errorf("renewal reminder date %s, want 2026-03-11", day)
				}
			case "update":
				update = true
				if day, _ := vetting.ReminderDate(it); day.String() != "2026-03-09" {
					t.Errorf("update reminder date %s, want 2026-03-09", day)
				}
			}
		}
		if renewal != tc.renewal || update != tc.update {
			t.Errorf("at %s (%s in Auckland): renewal %v update %v, want %v %v", tc.now.UTC().Format(time.RFC3339),
				vetting.DateOf(tc.now, akl), renewal, update, tc.renewal, tc.update)
		}
	}
}

// TestRemindRubric: a rubric re-vet's reminder is due RubricReminderDays
// before its last day, in the supplier's zone, until that day; overdue
// or re-vetted, none.
func TestRemindRubric(t *testing.T) {
	ctx := t.Context()
	db, err := store.Open(filepath.Join(t.TempDir(), "rubric.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, r := range []store.Rubric{{Version: "1.0", Released: "2018-09-01"}, {Version: "2.0", Released: "2022-03-01"}} {
		if _, err := db.AddRubric(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// Released 2022-03-01: due 2022-04-30 (60 days), reminded from
	// 2022-04-16, in Auckland.
	if _, err := db.PutSupplier(ctx, store.Supplier{Name: "Kiwi", Rubric: "1.0", Zone: "Pacific/Auckland"}); err != nil {
		t.Fatal(err)
	}
	nz, _ := time.LoadLocation("Pacific/Auckland")
	prog := &vetting.Program{DB: db}
	for _, tc := range []struct {
		now  time.Time
		want bool
	}{
		{time.Date(2022, 4, 15, 23, 59, 0, 0, nz), false},
		{time.Date(2022, 4, 15, 12, 0, 0, 0, time.UTC), true}, // already the 16th in Auckland
		{time.Date(2022, 4, 16, 0, 0, 0, 0, nz), true},
		{time.Date(2022, 4, 30, 23, 59, 0, 0, nz), true},
		{time.Date(2022, 5, 1, 0, 0, 0, 0, nz), false}, // overdue: too late for a reminder
	} {
		items, err := prog.Deadlines(ctx, tc.now)
		if err != nil {
			t.Fatal(err)
		}
		var got bool
		for _, it := range items {
			if it.Kind != "rubric" {
				continue
			}
			if day, ok := vetting.ReminderDate(it); !ok || day.String() != "2022-04-16" {
				t.Errorf("rubric reminder date %s, %v; want 2022-04-16", day, ok)
			}
			got = got || vetting.Remind(it, tc.now)
		}
		if got != tc.want {
			t.Errorf("at %s: rubric reminder %v, want %v", tc.now, got, tc.want)
		}
	}
	if _, err := db.PutSupplier(ctx, store.Supplier{Name: "Kiwi", Rubric: "2.0", Zone: "Pacific/Auckland"}); err != nil {
		t.Fatal(err)
	}
	items, _ := prog.Deadlines(ctx, time.Date(2022, 4, 20, 12, 0, 0, 0, nz))
	for _, it := range items {
		if it.Kind == "rubric" {
			t.Errorf("re-vetted, still a rubric deadline: %+v", it)
		}
	}
}
