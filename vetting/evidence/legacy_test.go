package evidence_test

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
	"golang.org/x/mod/sumdb/tlog"
)

var writeLegacy = flag.Bool("write-legacy", false, "write testdata/legacy-schema5 (only a schema-5 build may: check out dfe6490 first)")

// legacyDir holds a database written by a schema-5 build (JSON fetch
// records, one bbolt key per tree hash), its log key, a bundle exported
// from it, and the leaf hash of every fetch as that build logged it.
const legacyDir = "testdata/legacy-schema5"

// TestWriteLegacyFixture writes legacyDir with -write-legacy. It refuses
// on a build that writes any other schema: the fixture is the old format,
// and rewriting it with a newer build would prove nothing.
func TestWriteLegacyFixture(t *testing.T) {
	if !*writeLegacy {
		t.Skip("run with -write-legacy on a schema-5 build")
	}
	if store.SchemaVersion != 5 {
		t.Fatalf("this build writes schema %d; the fixture must come from a schema-5 build (dfe6490)", store.SchemaVersion)
	}
	os.RemoveAll(legacyDir)
	if err := os.MkdirAll(legacyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	from, to := "2022-05-10", "2022-05-24"
	clk := fixtures.NewClock(noon(from))
	fx := httptest.NewServer(fixtures.Handler(clk.Now))
	defer fx.Close()
	path := filepath.Join(legacyDir, "history.db")
	db, err := store.Open(path, store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	src, err := db.AddSource(ctx, store.Source{Name: "ims-privacy", URL: fx.URL + "/ims/privacy", Supplier: "1EdTech Consortium",
		Kind: store.Privacy, Origin: "cli", AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutSupplier(ctx, store.Supplier{Name: "1EdTech Consortium", Awarded: "2019-06-15", Rubric: "1.0", Zone: "America/New_York",
		Products: []store.Product{{Name: "website", Sources: []string{"ims-privacy"}}}}); err != nil {
		t.Fatal(err)
	}
	checker := &watch.Checker{Store: db, Client: fetch.NewClient(fetch.Options{Backoff: time.Millisecond, Now: clk.Tick}),
		Policy: watch.Policy{ConfirmDelay: time.Nanosecond}, Now: clk.Tick}
	for d := noon(from); !d.After(noon(to)); d = d.AddDate(0, 0, 1) {
		clk.Set(d)
		if res := checker.Check(ctx, src); res.Err != nil {
			t.Fatalf("check at %s: %v", d, res.Err)
		}
		if d.Equal(noon("2022-05-20")) {
			fx.Close() // two failed fetches: records without a response
		}
	}
	world := &world{db: db, clk: clk, src: src}
	b := world.build(t, "2022-05-13", noon("2022-06-01"))
	if err := os.WriteFile(filepath.Join(legacyDir, "bundle.zip"), b.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	fs, err := db.Fetches(ctx, src.ID, time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var leaves bytes.Buffer
	for _, f := range fs {
		n, err := db.LogIndex(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&leaves, "%d %d %s\n", f.ID, n, tlog.RecordHash(store.LogLeaf(f)))
	}
	if err := os.WriteFile(filepath.Join(legacyDir, "leaves.txt"), leaves.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// legacyLeaves reads leaves.txt: fetch ID → log record and leaf hash.
func legacyLeaves(t *testing.T) map[uint64]struct {
	n    int64
	hash string
} {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(legacyDir, "leaves.txt"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint64]struct {
		n    int64
		hash string
	}{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 {
			t.Fatalf("leaves.txt: %q", sc.Text())
		}
		id, _ := strconv.ParseUint(fields[0], 10, 64)
		n, _ := strconv.ParseInt(fields[1], 10, 64)
		out[id] = struct {
			n    int64
			hash string
		}{n, fields[2]}
	}
	return out
}
