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
