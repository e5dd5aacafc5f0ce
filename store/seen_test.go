package store

import (
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// TestSeenKeptOutOfVersion (decision record 0041): an unchanged fetch
// moves its version's last-seen in seen/<src>, not in the version record
// (whose page is the source's own), every reader sees the version as
// before, and a sighting is folded into its version's record when one of
// another version replaces it.
func TestSeenKeptOutOfVersion(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "seen.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	srcs, err := db.AddSources(ctx, []Source{{Name: "a", URL: "https://a.example/privacy"}})
	if err != nil {
		t.Fatal(err)
	}
	src := srcs[0].ID
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	fetchIDs := map[string]uint64{}
	steps := []struct {
		name string
		kind string // "new", "seen", "change", "reextract"
		// After the step: each version's last fetch (by step name) as
		// readers see it, and as its record holds it.
		wantLast, wantStored []string
	}{
		{"f1", "new", []string{"f1"}, []string{"f1"}},
		{"f2", "seen", []string{"f2"}, []string{"f1"}},
		{"f3", "seen", []string{"f3"}, []string{"f1"}},
		{"f4", "change", []string{"f3", "f4"}, []string{"f1", "f4"}},
		{"f5", "seen", []string{"f3", "f5"}, []string{"f3", "f4"}},
		{"f6", "seen", []string{"f3", "f6"}, []string{"f3", "f4"}},
	}
	for i, s := range steps {
		at := t0.Add(time.Duration(i) * time.Hour)
		st, err := db.State(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		r := Record{State: st, Fetch: Fetch{SourceID: src, URL: "https://a.example/privacy", Start: at, End: at.Add(time.Second), Status: 200, TextSHA256: Hash([]byte(s.kind + s.name))}}
		switch s.kind {
		case "new":
			r.Fetch.Outcome, r.Start = OutcomeNew, &Version{TextSHA256: r.Fetch.TextSHA256}
		case "seen":
			r.Fetch.Outcome, r.Seen = OutcomeUnchanged, true
		case "change":
			r.Fetch.Outcome, r.Start, r.Change = OutcomeChanged, &Version{TextSHA256: r.Fetch.TextSHA256}, &Change{Summary: "changed"}
		}
		f, _, err := db.Record(ctx, r)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		fetchIDs[s.name] = f.ID
		vs, err := db.Versions(ctx, src)
		if err != nil || len(vs) != len(s.wantLast) {
			t.Fatalf("%s: versions %+v, %v", s.name, vs, err)
		}
		for j, v := range vs {
			if want := fetchIDs[s.wantLast[j]]; v.LastFetch != want || !v.LastSeen.Equal(fetchStart(t, db, src, want)) {
				t.Errorf("%s: version %d last seen by fetch %d at %s, want %s (%d)", s.name, v.Seq, v.LastFetch, v.LastSeen, s.wantLast[j], want)
			}
			var stored Version
			if err := db.bolt.View(func(tx *bbolt.Tx) error { return getJSON(versionBucket(tx, src, 1), u64(v.Seq), &stored) }); err != nil {
				t.Fatal(err)
			}
			if want := fetchIDs[s.wantStored[j]]; stored.LastFetch != want {
				t.Errorf("%s: version %d's record holds last fetch %d, want %s (%d)", s.name, v.Seq, stored.LastFetch, s.wantStored[j], want)
			}
		}
		if err := db.Check(ctx); err != nil {
			t.Errorf("%s: check: %v", s.name, err)
		}
	}
	changes, err := db.Changes(ctx, ChangeFilter{SourceID: src})
	if err != nil || len(changes) != 1 || !changes[0].After.Equal(fetchStart(t, db, src, fetchIDs["f3"])) {
		t.Errorf("the change's after is the old version's last sighting (f3): %+v, %v", changes, err)
	}
}

// fetchStart is the start of fetch id of src.
func fetchStart(t *testing.T, db *DB, src, id uint64) time.Time {
	t.Helper()
	fs, err := db.Fetches(t.Context(), src, time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.ID == id {
			return f.Start
		}
	}
	t.Fatalf("source %d has no fetch %d", src, id)
	return time.Time{}
}
