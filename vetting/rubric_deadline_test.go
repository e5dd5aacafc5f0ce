package vetting_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
)

// TestRubricRevetDue: a re-vet against a new rubric release is due
// RubricDays (or Program.RubricDays) after the release, to the end of
// that day in the supplier's zone, and overdue from the next instant;
// re-vetted, it is gone. The clock is injected: Deadlines is asked at
// given instants.
func TestRubricRevetDue(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "r.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	for _, r := range []store.Rubric{{Version: "1.0", Released: "2018-09-01"}, {Version: "2.0", Released: "2022-03-01"}} {
		if _, err := db.AddRubric(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []store.Supplier{
		{Name: "Kiwi", Rubric: "1.0", Zone: "Pacific/Auckland"}, // UTC+12 in May
		{Name: "Yank", Rubric: "1.0", Zone: "America/New_York"}, // UTC-4 in May
		{Name: "Done", Rubric: "2.0", Zone: "UTC"},              // re-vetted: nothing due
	} {
		if _, err := db.PutSupplier(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	nz, _ := time.LoadLocation("Pacific/Auckland")
	ny, _ := time.LoadLocation("America/New_York")
	for _, tc := range []struct {
		name string
		days int // Program.RubricDays (0: the default, 60)
		now  time.Time
		want map[string]string // supplier → "DAY STATE"
	}{
		{"the day of the release", 0, time.Date(2022, 3, 1, 12, 0, 0, 0, time.UTC),
			map[string]string{"Kiwi": "2022-04-30 due", "Yank": "2022-04-30 due"}},
		{"the last minute in Auckland", 0, time.Date(2022, 4, 30, 23, 59, 0, 0, nz),
			map[string]string{"Kiwi": "2022-04-30 due", "Yank": "2022-04-30 due"}},
		{"the next day in Auckland, still the due day in New York", 0, time.Date(2022, 5, 1, 0, 0, 0, 0, nz),
			map[string]string{"Kiwi": "2022-04-30 overdue", "Yank": "2022-04-30 due"}},
		{"the next day in New York", 0, time.Date(2022, 5, 1, 0, 0, 0, 0, ny),
			map[string]string{"Kiwi": "2022-04-30 overdue", "Yank": "2022-04-30 overdue"}},
		{"a year later", 0, time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC),
			map[string]string{"Kiwi": "2022-04-30 overdue", "Yank": "2022-04-30 overdue"}},
		{"ten days configured", 10, time.Date(2022, 3, 11, 12, 0, 0, 0, time.UTC),
			map[string]string{"Kiwi": "2022-03-11 overdue", "Yank": "2022-03-11 due"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &vetting.Program{DB: db, RubricDays: tc.days, Now: func() time.Time { return tc.now }}
			items, err := p.Deadlines(ctx, tc.now)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			var last time.Time
			for _, it := range items {
				if it.Due.Before(last) {
					t.Errorf("%s %s (due %s) after one due %s: not in due-date order", it.Kind, it.Supplier, it.Due, last)
				}
				last = it.Due
				if it.Kind != "rubric" {
					continue
				}
				got[it.Supplier] = it.Day + " " + it.State
				loc, _ := time.LoadLocation(it.Zone)
				if d := vetting.DateOf(it.Due.Add(-time.Nanosecond), loc); d != it.Date {
					t.Errorf("%s: due %s is not the end of %s in %s", it.Supplier, it.Due, it.Date, it.Zone)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("re-vets %v, want %v", got, tc.want)
			}
			for sup, want := range tc.want {
				if got[sup] != want {
					t.Errorf("%s: %q, want %q", sup, got[sup], want)
				}
			}
		})
	}
}

// TestRubricRevetDays: a release that names its own re-vet period is due
// that many days after it, whatever the programme's default; a bad
// period is refused with the release named.
func TestRubricRevetDays(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "r.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	p := &vetting.Program{DB: db, RubricDays: 10}
	for _, r := range []store.Rubric{{Version: "1.0", Released: "2018-09-01"}, {Version: "2.0", Released: "2022-03-01", RevetDays: 90}} {
		if _, _, err := p.AddRubric(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []int{-1, 3661} {
		_, _, err := p.AddRubric(ctx, store.Rubric{Version: "3.0", Released: "2023-01-01", RevetDays: bad})
		if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "3.0") {
			t.Errorf("re-vet period %d: %v, want ErrInvalid naming the release", bad, err)
		}
	}
	if _, err := db.PutSupplier(ctx, store.Supplier{Name: "Acme", Rubric: "1.0", Zone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	items, err := p.Deadlines(ctx, time.Date(2022, 5, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		if it.Kind == "rubric" {
			got = append(got, it.Day+" "+it.State)
		}
	}
	if len(got) != 1 || got[0] != "2022-05-30 due" {
		t.Errorf("rubric deadlines %q, want [2022-05-30 due] (90 days after the release, not the default 10)", got)
	}
}
