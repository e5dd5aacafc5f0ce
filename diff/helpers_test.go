package diff_test

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fixtures"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fixture reads a file from the fixtures package (pages/…, corpus/…).
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := fs.ReadFile(fixtures.FS(), name)
	if err != nil {
		t.Fatalf("reading fixture %s: %v", name, err)
	}
	return data
}

// doc extracts a document from page bytes.
func doc(t testing.TB, data []byte) *extract.Document {
	t.Helper()
	d, err := extract.Bytes(data, extract.Options{})
	if err != nil {
		t.Fatalf("extracting: %v", err)
	}
	return d
}

func fixtureDoc(t testing.TB, name string) *extract.Document {
	t.Helper()
	return doc(t, fixture(t, name))
}

// checkGolden compares got with testdata/golden/name, or rewrites it with
// -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./diff -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("%s differs from %s at line %d (rerun with -update after checking the change):\nwant: %s\ngot:  %s", name, path, i+1, w, g)
				return
			}
		}
	}
}

func changesOf(r *diff.Result, class diff.Class) []diff.Change {
	var out []diff.Change
	for _, c := range r.Changes {
		if c.Class == class {
			out = append(out, c)
		}
	}
	return out
}
