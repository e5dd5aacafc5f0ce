package store

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestCurrent: Current gives the state State gives and, of the versions
// GenerationVersions gives, the current one (its latest sighting laid
// over it): for a source with no version, after a first version and an
// unchanged fetch, and after a new generation of three versions.
func TestCurrent(t *testing.T) {
	ctx := t.Context()
	db, err := Open(filepath.Join(t.TempDir(), "current.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	src, err := db.AddSource(ctx, Source{Name: "current", URL: "https://current.example/privacy"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	record := func(r Record) {
		t.Helper()
		st, err := db.State(ctx, src.ID)
		if err != nil {
			t.Fatal(err)
		}
		at = at.Add(time.Hour)
		r.State, r.Body = st, []byte("<p>the policy</p>")
		r.Fetch.SourceID, r.Fetch.URL, r.Fetch.Start, r.Fetch.End, r.Fetch.Status = src.ID, src.URL, at, at.Add(time.Second), 200
		r.Fetch.TextSHA256 = Hash([]byte("text"))
		if _, _, err := db.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name string
		do   func()
		want uint64 // the current version's seq
	}{
		{"no version", func() {}, 0},
		{"first version", func() {
			record(Record{Fetch: Fetch{Outcome: OutcomeNew}, Start: &Version{TextSHA256: Hash([]byte("text"))}})
		}, 1},
		{"seen again", func() { record(Record{Fetch: Fetch{Outcome: OutcomeUnchanged}, Seen: true}) }, 1},
		{"new generation", func() {
			st, err := db.State(ctx, src.ID)
			if err != nil {
				t.Fatal(err)
			}
			var g Generation
			for i := range 3 {
				g.Versions = append(g.Versions, Version{Seq: uint64(i + 1), TextSHA256: Hash([]byte{byte(i)}), FirstSeen: at, LastSeen: at})
			}
			if _, err := db.ReplaceGeneration(ctx, src.ID, st.Rev, g); err != nil {
				t.Fatal(err)
			}
		}, 3},
	}
	for _, s := range steps {
		s.do()
		st, cur, err := db.Current(ctx, src.ID)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		wantState, err := db.State(ctx, src.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(st, wantState) {
			t.Errorf("%s: state %+v, State gives %+v", s.name, st, wantState)
		}
		vs, err := db.GenerationVersions(ctx, src.ID, st.Generation)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case s.want == 0 && cur != nil:
			t.Errorf("%s: a current version %+v where there is none", s.name, cur)
		case s.want != 0 && (cur == nil || len(vs) < int(s.want) || !reflect.DeepEqual(*cur, vs[s.want-1])):
			t.Errorf("%s: current version %+v, GenerationVersions has %+v", s.name, cur, vs)
		}
	}
}
