package vetting_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
)

// TestNotifyNotYet: a notification is refused while its date is after
// today in the supplier's zone (IMS counts in New York time), or its
// instant is after now; today in that zone is accepted, even where it is
// already tomorrow in UTC's.
func TestNotifyNotYet(t *testing.T) {
	for _, tt := range []struct {
		name string
		now  time.Time
		when string
		// refused is the reason, or "" when the notification is recorded.
		refused string
	}{
		{"today in New York", time.Date(2022, 5, 13, 15, 0, 0, 0, time.UTC), "2022-05-13", ""},
		{"tomorrow in New York", time.Date(2022, 5, 13, 15, 0, 0, 0, time.UTC), "2022-05-14", "2022-05-14 is after today (2022-05-13 in America/New_York"},
		{"already tomorrow in UTC, not in New York", time.Date(2022, 5, 14, 2, 0, 0, 0, time.UTC), "2022-05-14", "after today (2022-05-13 in America/New_York"},
		{"just past midnight in New York", time.Date(2022, 5, 14, 4, 0, 0, 0, time.UTC), "2022-05-14", ""},
		{"an instant to come", time.Date(2022, 5, 13, 15, 0, 0, 0, time.UTC), "2022-05-13T15:00:01Z", "is in the future"},
		{"an instant past", time.Date(2022, 5, 13, 15, 0, 0, 0, time.UTC), "2022-05-13T14:59:59Z", ""},
		{"a year ahead", time.Date(2022, 5, 13, 15, 0, 0, 0, time.UTC), "2023-05-13", "after today"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.Clock.Set(tt.now)
			n, err := w.Program.Notify(t.Context(), vetting.NotifyRequest{Supplier: ims, When: tt.when})
			switch {
			case tt.refused == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.refused != "" && (err == nil || !strings.Contains(err.Error(), tt.refused) || !errors.Is(err, store.ErrInvalid)):
				t.Fatalf("err %v, want an invalid-input error saying %q", err, tt.refused)
			case tt.refused == "" && n.ID == 0:
				t.Fatalf("not stored: %+v", n)
			}
			if ns, _ := w.DB.Notifications(t.Context(), ""); tt.refused != "" && len(ns) != 0 {
				t.Errorf("a refused notification was stored")
			}
		})
	}
}

// TestManageRefuses: the functions the CLI, the API and the forms share
// refuse bad input with a reason that names it, and store nothing.
func TestManageRefuses(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	for _, tt := range []struct {
		name     string
		do       func() error
		says     string
		notFound bool
	}{
		{"record of a supplier without sources", func() error {
			_, err := w.Program.SaveSupplier(ctx, store.Supplier{Name: "Nobody"})
			return err
		}, `no source belongs to supplier "Nobody"`, true},
		{"record with a bad zone", func() error {
			_, err := w.Program.SaveSupplier(ctx, store.Supplier{Name: "COR", Zone: "Mars/Olympus"})
			return err
		}, "Mars/Olympus", false},
		{"notification of a supplier without a record", func() error {
			_, err := w.Program.Notify(ctx, vetting.NotifyRequest{Supplier: "COR", When: "2016-04-01"})
			return err
		}, `supplier "COR" has no seal record`, true},
		{"product without sources", func() error { _, err := vetting.ParseProduct("Website"); return err }, "want NAME=SOURCE,SOURCE", false},
		{"built-in baseline", func() error {
			_, _, err := w.Program.PinBaseline(ctx, vetting.PinRequest{Source: "ims-privacy", Name: vetting.BaselineAwarded})
			return err
		}, "built in", false},
		{"baseline before the first capture", func() error {
			_, _, err := w.Program.PinBaseline(ctx, vetting.PinRequest{Source: "ims-privacy", Name: "early", At: at("2001-01-01")})
			return err
		}, "ims-privacy in force at 2001-01-01", true},
		{"rubric without a date", func() error { _, _, err := w.Program.AddRubric(ctx, store.Rubric{Version: "2.0"}); return err }, "release date", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err %v, want one saying %q", err, tt.says)
			}
			if errors.Is(err, store.ErrNotFound) != tt.notFound {
				t.Errorf("not found: %v, want %v (%v)", errors.Is(err, store.ErrNotFound), tt.notFound, err)
			}
		})
	}
	if bs, _ := w.DB.Baselines(ctx, w.IMS.ID); len(bs) != 0 {
		t.Errorf("refused pins stored: %+v", bs)
	}
	// What works: a pin in force at a time, a release listing who to vet
	// again, products read as the CLI writes them.
	b, _, err := w.Program.PinBaseline(ctx, vetting.PinRequest{Source: "ims-privacy", Name: "2019", At: at("2019-06-02")})
	if err != nil || b.Version != 1 {
		t.Errorf("pin: %+v %v, want version 1", b, err)
	}
	if _, needs, err := w.Program.AddRubric(ctx, store.Rubric{Version: "2.0", Released: "2020-01-01"}); err != nil || len(needs) != 1 || needs[0] != ims {
		t.Errorf("rubric: %v %v, want %s to vet again", needs, err, ims)
	}
	if p, err := vetting.ParseProduct(" Website = ims-privacy, , cor-privacy "); err != nil || p.Name != "Website" || len(p.Sources) != 2 {
		t.Errorf("product: %+v %v", p, err)
	}
}
