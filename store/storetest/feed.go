package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

// changes records n changes on each of the sources, alternating between
// them, and returns the change IDs in the order recorded.
func changes(t *testing.T, db store.Store, srcs []uint64, n int) []uint64 {
	t.Helper()
	var ids []uint64
	for _, src := range srcs {
		record(t, db, src, fetch{at: t0, body: "v0", text: "v0", start: true})
	}
	for i := range n {
		for j, src := range srcs {
			text := fmt.Sprintf("v%d-%d", i+1, j)
			_, ch := record(t, db, src, fetch{at: t0.Add(time.Duration(i+1) * time.Hour), body: text, text: text, start: true, change: true})
			ids = append(ids, ch.ID)
		}
	}
	return ids
}

func changeIDs(cs []store.Change) []uint64 {
	out := make([]uint64, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

var feedCases = []Case{
	{"Feed/FilterAndTriage", func(t *testing.T, db store.Store, clock *Clock) {
		ctx := t.Context()
		a, b := addSource(t, db, "alpha", "").ID, addSource(t, db, "beta", "").ID
		ids := changes(t, db, []uint64{a, b}, 3)
		all, err := db.Changes(ctx, store.ChangeFilter{})
		if err != nil || !slices.Equal(changeIDs(all), ids) {
			t.Errorf("all changes %v, want %v (%v)", changeIDs(all), ids, err)
		}
		ofA, _ := db.Changes(ctx, store.ChangeFilter{SourceID: a})
		if !slices.Equal(changeIDs(ofA), []uint64{ids[0], ids[2], ids[4]}) {
			t.Errorf("changes of a: %v", changeIDs(ofA))
		}
		since, _ := db.Changes(ctx, store.ChangeFilter{Since: t0.Add(2 * time.Hour)})
		if len(since) != 4 {
			t.Errorf("changes detected since 2h: %v", changeIDs(since))
		}
		wantErr(t, "bad state", db.SetTriage(ctx, ids[0], store.Triage{State: "maybe"}), store.ErrInvalid)
		wantErr(t, "unknown change", db.SetTriage(ctx, 999, store.Triage{State: store.TriageReviewed}), store.ErrNotFound)
		must(t, "triage", db.SetTriage(ctx, ids[1], store.Triage{State: store.TriageReviewed, By: "ana", Note: "fine"}))
		c, err := db.Change(ctx, ids[1])
		if string(c.Gist) != rawGist || string(c.Rank) != `[{"z":1},{"a":2}]` {
			t.Errorf("raw JSON not kept byte for byte: gist %s, rank %s", c.Gist, c.Rank)
		}
		if err != nil || c.Triage.State != store.TriageReviewed || c.Triage.By != "ana" || !c.Triage.At.Equal(clock.Now()) || c.Summary == "" {
			t.Errorf("triaged change %+v, %v", c, err)
		}
		_, err = db.Change(ctx, 999)
		wantErr(t, "Change of unknown id", err, store.ErrNotFound)
		after, _ := db.ChangesAfter(ctx, ids[2], 2)
		if !slices.Equal(changeIDs(after), ids[3:5]) {
			t.Errorf("ChangesAfter(%d, 2) = %v", ids[2], changeIDs(after))
		}
	}},
	{"Feed/TriageHistory", func(t *testing.T, db store.Store, clock *Clock) {
		ctx := t.Context()
		ids := changes(t, db, []uint64{addSource(t, db, "alpha", "").ID}, 2)
		first := clock.Now()
		must(t, "revet", db.SetTriage(ctx, ids[0], store.Triage{State: store.TriageRevet, By: "ana", Note: "retention cut"}))
		clock.Advance(time.Hour)
		must(t, "dismiss", db.SetTriage(ctx, ids[0], store.Triage{State: store.TriageDismissed, By: "bo"}))
		clock.Advance(time.Hour)
		// An explicit time is kept (the web server passes its clock).
		at := clock.Now().Add(time.Minute)
		must(t, "reviewed", db.SetTriage(ctx, ids[0], store.Triage{State: store.TriageReviewed, By: "cy", Note: "agreed with legal", At: at}))
		wantErr(t, "bad state", db.SetTriage(ctx, ids[0], store.Triage{State: "maybe", By: "dan"}), store.ErrInvalid)
		c, err := db.Change(ctx, ids[0])
		must(t, "change", err)
		want := []store.TriageEntry{
			{At: first, By: "ana", From: store.TriageNew, To: store.TriageRevet, Note: "retention cut"},
			{At: first.Add(time.Hour), By: "bo", From: store.TriageRevet, To: store.TriageDismissed},
			{At: at, By: "cy", From: store.TriageDismissed, To: store.TriageReviewed, Note: "agreed with legal"},
		}
		if len(c.TriageHistory) != len(want) {
			t.Fatalf("history %+v, want %+v", c.TriageHistory, want)
		}
		for i, e := range c.TriageHistory {
			if !e.At.Equal(want[i].At) || e.By != want[i].By || e.From != want[i].From || e.To != want[i].To || e.Note != want[i].Note {
				t.Errorf("history[%d] = %+v, want %+v", i, e, want[i])
			}
		}
		if c.Triage.State != store.TriageReviewed || c.Triage.By != "cy" || c.Triage.Note != "agreed with legal" {
			t.Errorf("current triage %+v", c.Triage)
		}
		// The feed index follows the current state only.
		page, _, err := db.ChangePage(ctx, store.ChangeQuery{Triage: []store.TriageState{store.TriageReviewed}})
		if err != nil || !slices.Equal(changeIDs(page), ids[:1]) {
			t.Errorf("reviewed changes %v, %v", changeIDs(page), err)
		}
		page, _, err = db.ChangePage(ctx, store.ChangeQuery{Triage: []store.TriageState{store.TriageRevet, store.TriageDismissed}})
		if err != nil || len(page) != 0 {
			t.Errorf("revet or dismissed changes %v, %v", changeIDs(page), err)
		}
		other, err := db.Change(ctx, ids[1])
		if err != nil || len(other.TriageHistory) != 0 {
			t.Errorf("untriaged change has history %+v, %v", other.TriageHistory, err)
		}
	}},
	{"Feed/Paging", func(t *testing.T, db store.Store, _ *Clock) {
		ctx := t.Context()
		a := addSource(t, db, "alpha", "Acme").ID
		b := addSource(t, db, "beta", "Bolt").ID
		ids := changes(t, db, []uint64{a, b}, 6) // 12 changes
		must(t, "triage", db.SetTriage(ctx, ids[3], store.Triage{State: store.TriageDismissed}))
		must(t, "triage", db.SetTriage(ctx, ids[8], store.Triage{State: store.TriageDismissed}))
		reversed := slices.Clone(ids)
		slices.Reverse(reversed)
		for _, tt := range []struct {
			name string
			q    store.ChangeQuery
			want []uint64
		}{
			{"all", store.ChangeQuery{}, reversed},
			{"source", store.ChangeQuery{Sources: []uint64{b}}, []uint64{ids[11], ids[9], ids[7], ids[5], ids[3], ids[1]}},
			{"supplier", store.ChangeQuery{Supplier: "Acme"}, []uint64{ids[10], ids[8], ids[6], ids[4], ids[2], ids[0]}},
			{"supplier and other source", store.ChangeQuery{Supplier: "Acme", Sources: []uint64{b}}, nil},
			{"dismissed", store.ChangeQuery{Triage: []store.TriageState{store.TriageDismissed}}, []uint64{ids[8], ids[3]}},
			{"new of b", store.ChangeQuery{Sources: []uint64{b}, Triage: []store.TriageState{store.TriageNew}}, []uint64{ids[11], ids[9], ids[7], ids[5], ids[1]}},
			{"empty triage list", store.ChangeQuery{Triage: []store.TriageState{}}, nil},
			{"revet", store.ChangeQuery{Revet: true}, reversed},
		} {
			for _, limit := range []int{1, 5, 50} {
				var got []uint64
				q := tt.q
				q.Limit = limit
				for page := 0; ; page++ {
					cs, next, err := db.ChangePage(ctx, q)
					if err != nil || page > 20 || len(cs) > limit {
						t.Fatalf("%s limit %d: page %d: %d changes, %v", tt.name, limit, page, len(cs), err)
					}
					got = append(got, changeIDs(cs)...)
					if next == 0 {
						break
					}
					if len(cs) != limit || next != cs[len(cs)-1].ID {
						t.Errorf("%s limit %d: a page of %d with next %d", tt.name, limit, len(cs), next)
					}
					q.Before = next
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("%s limit %d: got %v, want %v", tt.name, limit, got, tt.want)
				}
			}
		}
	}},
	{"Feed/Census", func(t *testing.T, db store.Store, _ *Clock) {
		ctx := t.Context()
		a := addSource(t, db, "alpha", "").ID
		b := addSource(t, db, "beta", "")
		addSource(t, db, "gamma", "")
		changes(t, db, []uint64{a}, 2)
		b.Paused = true
		must(t, "pause", db.UpdateSource(ctx, b))
		must(t, "due", db.SetDues(ctx, []store.Due{{SourceID: a, At: t0}, {SourceID: b.ID, At: t0.Add(48 * time.Hour)}}))
		n, err := db.Census(ctx, t0.Add(time.Hour))
		if err != nil || n.Sources != 3 || n.Paused != 1 || n.Changes != 2 || n.Due != 1 || n.Health[store.HealthOK] != 2 {
			t.Errorf("census %+v, %v", n, err)
		}
	}},
}
