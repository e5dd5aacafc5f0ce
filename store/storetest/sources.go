package storetest

import (
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

var sourceCases = []Case{
	{"Sources/AddAndResolve", func(t *testing.T, db store.Store, _ *Clock) {
		ctx := t.Context()
		a := addSource(t, db, "alpha", "Acme")
		if a.ID == 0 || a.Kind != store.Privacy || a.Added.IsZero() || a.V != 1 {
			t.Errorf("added %+v", a)
		}
		for _, ref := range []string{"alpha", a.URL, "1"} {
			got, err := db.Source(ctx, ref)
			if err != nil || got.ID != a.ID || got.Name != "alpha" {
				t.Errorf("Source(%q) = %+v, %v", ref, got, err)
			}
		}
		_, err := db.Source(ctx, "missing")
		wantErr(t, "missing source", err, store.ErrNotFound)
		_, err = db.SourceByID(ctx, 99)
		wantErr(t, "missing id", err, store.ErrNotFound)
		st, err := db.State(ctx, a.ID)
		if err != nil || st.Generation != 1 || st.Health != store.HealthOK || st.Rev != 0 || st.SourceID != a.ID {
			t.Errorf("first state %+v, %v", st, err)
		}
	}},
	{"Sources/StatesByID", func(t *testing.T, db store.Store, _ *Clock) {
		ctx := t.Context()
		a := addSource(t, db, "alpha", "").ID
		b := addSource(t, db, "beta", "").ID
		addSource(t, db, "gamma", "")
		record(t, db, a, fetch{at: t0, body: "<p>one</p>", text: "one", start: true})
		for _, tt := range []struct {
			name string
			ids  []uint64
			want []uint64
		}{
			{"two of three", []uint64{a, b}, []uint64{a, b}},
			{"repeated and missing IDs", []uint64{b, 999, b, a}, []uint64{a, b}},
			{"none", nil, nil},
			{"only missing", []uint64{999}, nil},
		} {
			got, err := db.StatesByID(ctx, tt.ids)
			must(t, tt.name, err)
			if len(got) != len(tt.want) {
				t.Errorf("%s: %d states, want %d: %+v", tt.name, len(got), len(tt.want), got)
			}
			for _, id := range tt.want {
				one, err := db.State(ctx, id)
				must(t, tt.name, err)
				if st, ok := got[id]; !ok || st.SourceID != id || st.Rev != one.Rev || st.Current != one.Current || !st.LastFetch.Equal(one.LastFetch) || st.Health != one.Health {
					t.Errorf("%s: state of %d %+v, want %+v (as State reads it)", tt.name, id, st, one)
				}
			}
		}
		if got, _ := db.StatesByID(ctx, []uint64{a}); got[a].Rev != 1 || got[a].Current != 1 {
			t.Errorf("state after a record: %+v", got[a])
		}
	}},
	{"Sources/Invalid", func(t *testing.T, db store.Store, _ *Clock) {
		a := addSource(t, db, "alpha", "")
		for _, tt := range []struct {
			name string
			src  store.Source
			want error
		}{
			{"duplicate name", store.Source{Name: "alpha", URL: "https://other.example/"}, store.ErrExists},
			{"duplicate URL", store.Source{Name: "other", URL: a.URL}, store.ErrExists},
			{"no name", store.Source{URL: "https://x.example/"}, store.ErrInvalid},
			{"numeric name", store.Source{Name: "42", URL: "https://x.example/"}, store.ErrInvalid},
			{"ftp URL", store.Source{Name: "x", URL: "ftp://x.example/"}, store.ErrInvalid},
			{"bad kind", store.Source{Name: "x", URL: "https://x.example/", Kind: "cookies"}, store.ErrInvalid},
		} {
			_, err := db.AddSource(t.Context(), tt.src)
			wantErr(t, tt.name, err, tt.want)
		}
		// A batch is all or nothing.
		_, err := db.AddSources(t.Context(), []store.Source{{Name: "b1", URL: "https://b1.example/"}, {Name: "alpha", URL: "https://b2.example/"}})
		wantErr(t, "batch with a duplicate", err, store.ErrExists)
		if _, err := db.Source(t.Context(), "b1"); err == nil {
			t.Errorf("half a failed batch was added")
		}
	}},
	{"Sources/Update", func(t *testing.T, db store.Store, _ *Clock) {
		ctx := t.Context()
		a := addSource(t, db, "alpha", "Acme")
		addSource(t, db, "beta", "Acme")
		added := a.Added
		a.Name, a.Paused, a.Added, a.Origin = "alpha-renamed", true, time.Time{}, "api"
		must(t, "update", db.UpdateSource(ctx, a))
		got, err := db.Source(ctx, "alpha-renamed")
		if err != nil || !got.Paused || !got.Added.Equal(added) || got.Origin != "cli" {
			t.Errorf("after update: %+v, %v (Added and Origin are kept)", got, err)
		}
		_, err = db.Source(ctx, "alpha")
		wantErr(t, "old name", err, store.ErrNotFound)
		a.Name = "beta"
		wantErr(t, "rename onto another", db.UpdateSource(ctx, a), store.ErrExists)
		wantErr(t, "unknown id", db.UpdateSource(ctx, store.Source{ID: 99, Name: "x", URL: "https://x.example/"}), store.ErrNotFound)
	}},
	{"Sources/ListAndByID", func(t *testing.T, db store.Store, _ *Clock) {
		ctx := t.Context()
		var ids []uint64
		for _, n := range []string{"c", "a", "b"} {
			ids = append(ids, addSource(t, db, n, "").ID)
		}
		all, err := db.Sources(ctx)
		must(t, "sources", err)
		if len(all) != 3 || all[0].Name != "c" || all[1].Name != "a" || all[2].Name != "b" {
			t.Errorf("Sources is not in ID order: %+v", all)
		}
		m, err := db.SourcesByID(ctx, []uint64{ids[1], 77, ids[1], ids[2]})
		if err != nil || len(m) != 2 || m[ids[1]].Name != "a" || m[ids[2]].Name != "b" {
			t.Errorf("SourcesByID = %v, %v (unknown IDs left out)", m, err)
		}
		// Many at once, as a watchlist import adds them.
		var batch []store.Source
		for i := range 50 {
			batch = append(batch, store.Source{Name: "bulk" + string(rune('a'+i%26)) + string(rune('a'+i/26)), URL: "https://bulk.example/" + string(rune('a'+i%26)) + string(rune('a'+i/26))})
		}
		out, err := db.AddSources(ctx, batch)
		if err != nil || len(out) != 50 || out[49].ID != ids[2]+50 {
			t.Errorf("AddSources: %d sources, last %+v, %v", len(out), out[len(out)-1], err)
		}
	}},
	{"Sources/GrantPrivate", func(t *testing.T, db store.Store, _ *Clock) {
		ctx := t.Context()
		a := addSource(t, db, "alpha", "")
		wantErr(t, "URL moved on", db.GrantPrivate(ctx, a.ID, "https://elsewhere.example/"), store.ErrConflict)
		must(t, "grant", db.GrantPrivate(ctx, a.ID, a.URL))
		got, _ := db.SourceByID(ctx, a.ID)
		if !got.AllowPrivate {
			t.Errorf("not granted: %+v", got)
		}
		// A new URL drops the grant.
		got.URL = "https://alpha.example/new"
		must(t, "update", db.UpdateSource(ctx, got))
		if got, _ = db.SourceByID(ctx, a.ID); got.AllowPrivate {
			t.Errorf("grant kept across a URL change")
		}
	}},
}
