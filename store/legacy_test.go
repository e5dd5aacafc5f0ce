package store

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// TestResolveAmbiguous (issue 17, item 14): a database written before
// names were checked holds source B named like source A's URL. The
// shared reference is ErrAmbiguous naming both; the others still
// resolve.
func TestResolveAmbiguous(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), "r.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	a := Source{Name: "a", URL: "https://a.example/p", Supplier: "A", V: 1}
	b := Source{Name: a.URL, URL: "https://b.example/p", Supplier: "B", V: 1} // no validate: as old versions stored it
	err = d.update(t.Context(), func(tx *bbolt.Tx) error {
		if err := addSource(tx, &a); err != nil {
			return err
		}
		return addSource(tx, &b)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Source(t.Context(), a.URL)
	if !errors.Is(err, ErrAmbiguous) || !strings.Contains(err.Error(), "source 1 by URL") || !strings.Contains(err.Error(), "source 2 by name") {
		t.Errorf("Source(%q): %v; want ErrAmbiguous naming source 1 by URL and source 2 by name", a.URL, err)
	}
	for ref, want := range map[string]uint64{"1": 1, "a": 1, "2": 2, b.URL: 2} {
		if s, err := d.Source(t.Context(), ref); err != nil || s.ID != want {
			t.Errorf("Source(%q): %d, %v; want %d", ref, s.ID, err, want)
		}
	}
	// A source named like another's ID: a reference "2" is ambiguous,
	// but the scheduler and the pages, which hold IDs, still find both.
	c := Source{Name: "2", URL: "https://c.example/p", Supplier: "C", V: 1}
	if err := d.update(t.Context(), func(tx *bbolt.Tx) error { return addSource(tx, &c) }); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Source(t.Context(), "2"); !errors.Is(err, ErrAmbiguous) {
		t.Errorf(`Source("2"): %v; want ErrAmbiguous`, err)
	}
	for _, id := range []uint64{2, c.ID} {
		if s, err := d.SourceByID(t.Context(), id); err != nil || s.ID != id {
			t.Errorf("SourceByID(%d): %d, %v", id, s.ID, err)
		}
	}
	if _, err := d.SourceByID(t.Context(), 99); !errors.Is(err, ErrNotFound) {
		t.Errorf("SourceByID(99): %v; want ErrNotFound", err)
	}
}

// TestLegacyNamesStayEditable: a source stored before names were checked
// can still be paused or edited in other ways; only a new name, supplier
// or URL is checked.
func TestLegacyNamesStayEditable(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), "l.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := t.Context()
	s := Source{Name: "old\x1b[2Jname", URL: "https://a.example/p", Supplier: "S\nfake row", Kind: Privacy, V: 1}
	if err := d.update(ctx, func(tx *bbolt.Tx) error { return addSource(tx, &s) }); err != nil {
		t.Fatal(err)
	}
	s.Paused = true
	if err := d.UpdateSource(ctx, s); err != nil {
		t.Errorf("pausing a source with an old unchecked name: %v", err)
	}
	s.Name = "new\x07name"
	if err := d.UpdateSource(ctx, s); !errors.Is(err, ErrInvalid) {
		t.Errorf("renaming it to a name with BEL: %v, want ErrInvalid", err)
	}
	s.Name, s.Supplier = "new-name", "S"
	if err := d.UpdateSource(ctx, s); err != nil {
		t.Errorf("renaming it to a good name: %v", err)
	}
	if got, err := d.Source(ctx, "new-name"); err != nil || !got.Paused || got.Supplier != "S" {
		t.Errorf("after the rename: %+v, %v", got, err)
	}
}
