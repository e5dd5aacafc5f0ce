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
	"github.com/clausewatch/clausewatch/vetting/evidence"
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

// TestLegacyDatabase opens the schema-5 fixture with this build, which
// migrates it (compact fetch records, the tree in tiles), and finds every
// fetch at its old log record with its old leaf hash, the log check
// clean, the bundle exported before the migration still verifying against
// the log's key, and a bundle built now carrying the same records.
func TestLegacyDatabase(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"history.db", "history.db.key"} {
		data, err := os.ReadFile(filepath.Join(legacyDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db, err := store.Open(filepath.Join(dir, "history.db"), store.Options{Now: func() time.Time { return noon("2022-06-01") }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	if v, _ := db.Schema(ctx); v != store.SchemaVersion {
		t.Fatalf("schema %d after open, want %d", v, store.SchemaVersion)
	}
	if err := db.Check(ctx); err != nil {
		t.Errorf("check: %v", err)
	}
	rep, err := db.CheckLog(ctx)
	if err != nil || !rep.OK() || rep.Size != 16 || rep.Fetches != 16 {
		t.Errorf("log check: %+v, %v", rep, err)
	}
	src, err := db.Source(ctx, "ims-privacy")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := db.Fetches(ctx, src.ID, time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	leaves := legacyLeaves(t)
	if len(fs) != len(leaves) {
		t.Fatalf("%d fetches, the fixture logged %d", len(fs), len(leaves))
	}
	for _, f := range fs {
		want := leaves[f.ID]
		n, err := db.LogIndex(ctx, f.ID)
		if got := tlog.RecordHash(store.LogLeaf(f)).String(); err != nil || n != want.n || got != want.hash {
			t.Errorf("fetch %d: log record %d (%v), leaf %s; want %d, %s", f.ID, n, err, got, want.n, want.hash)
		}
	}
	key, err := db.PublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(filepath.Join(legacyDir, "bundle.zip"))
	if err != nil {
		t.Fatal(err)
	}
	if r := evidence.Verify(old, evidence.VerifyOptions{Key: key}); !r.OK() || !r.Verified {
		t.Errorf("the bundle exported before the migration: %s", r.Failures())
	}
	w := &world{db: db, src: src}
	now := w.build(t, "2022-05-13", noon("2022-06-01"))
	if r := evidence.Verify(now.Data, evidence.VerifyOptions{Key: key}); !r.OK() {
		t.Errorf("a bundle built after the migration: %s", r.Failures())
	}
	oldNames, oldFiles := members(t, old)
	_, newFiles := members(t, now.Data)
	records := 0
	for _, name := range oldNames {
		if strings.HasSuffix(name, "/record.json") {
			records++
			if !bytes.Equal(oldFiles[name], newFiles[name]) {
				t.Errorf("%s differs after the migration:\n%s\n%s", name, oldFiles[name], newFiles[name])
			}
		}
	}
	if records == 0 {
		t.Errorf("no record.json in the old bundle's members %v", oldNames)
	}
}
