package store_test

import (
	"errors"
	"testing"

	"github.com/clausewatch/clausewatch/store"
)

// TestAllowPrivateFollowsURL (issue 17, item 1): UpdateSource never
// switches the guard off; it keeps a grant while the URL stays and drops
// it when the URL changes. GrantPrivate grants it for one URL only.
func TestAllowPrivateFollowsURL(t *testing.T) {
	db := openTemp(t)
	ctx := t.Context()
	local, err := db.AddSource(ctx, store.Source{Name: "local", URL: "http://127.0.0.1:8081/p", Supplier: "L", AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	other := addSource(t, db, "other")
	get := func(ref string) store.Source {
		t.Helper()
		s, err := db.Source(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	steps := []struct {
		name string
		edit func() error
		ref  string
		want bool
	}{
		{"rename keeps it", func() error { s := get("local"); s.Name = "local2"; return db.UpdateSource(ctx, s) }, "local2", true},
		{"URL change drops it", func() error { s := get("local2"); s.URL = "http://127.0.0.1:22/"; return db.UpdateSource(ctx, s) }, "local2", false},
		{"UpdateSource cannot set it", func() error { s := get("other"); s.AllowPrivate = true; return db.UpdateSource(ctx, s) }, "other", false},
		{"GrantPrivate sets it", func() error { return db.GrantPrivate(ctx, other.ID, other.URL) }, "other", true},
		{"clearing it", func() error { s := get("other"); s.AllowPrivate = false; return db.UpdateSource(ctx, s) }, "other", false},
	}
	for _, s := range steps {
		if err := s.edit(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := get(s.ref).AllowPrivate; got != s.want {
			t.Errorf("%s: allow_private %v, want %v", s.name, got, s.want)
		}
	}
	if err := db.GrantPrivate(ctx, local.ID, "http://127.0.0.1:8081/p"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("GrantPrivate for a URL the source no longer has: %v, want ErrConflict", err)
	}
	if get("local2").AllowPrivate {
		t.Errorf("a refused grant was stored")
	}
}
