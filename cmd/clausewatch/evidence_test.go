package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// evidenceHistory is a database that checked the IMS fixture page daily
// at noon UTC through May and June 2022 (it changed on 17 May), with
// IMS's supplier record in New York time.
func evidenceHistory(t testing.TB) string {
	t.Helper()
	clk := fixtures.NewClock(time.Date(2022, 5, 1, 12, 0, 0, 0, time.UTC))
	fx := httptest.NewServer(fixtures.Handler(clk.Now))
	t.Cleanup(fx.Close)
	path := filepath.Join(t.TempDir(), "cw.db")
	db, err := store.Open(path, store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	src, err := db.AddSource(ctx, store.Source{Name: "ims", URL: fx.URL + "/ims/privacy", Supplier: "1EdTech", Kind: store.Privacy, Origin: "cli", AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutSupplier(ctx, store.Supplier{Name: "1EdTech", Zone: "America/New_York", Products: []store.Product{{Name: "site", Sources: []string{"ims"}}}}); err != nil {
		t.Fatal(err)
	}
	checker := &watch.Checker{Store: db, Client: fetch.NewClient(fetch.Options{Now: clk.Tick}), Policy: watch.Policy{ConfirmDelay: time.Nanosecond}, Now: clk.Tick}
	for d := clk.Now(); d.Month() < 7; d = d.AddDate(0, 0, 1) {
		clk.Set(d)
		if res := checker.Check(ctx, src); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	return path
}

// TestEvidenceCommands runs key, log check, evidence and verify as a user
// would, then tampers with a bundle and with the database.
func TestEvidenceCommands(t *testing.T) {
	db := evidenceHistory(t)
	dir := filepath.Dir(db)
	must := func(code int, args ...string) string {
		t.Helper()
		out, errOut, got := runCLI(t, "", args...)
		if got != code {
			t.Fatalf("%v: exit %d, want %d\n%s%s", args, got, code, out, errOut)
		}
		return out + errOut
	}
	key := strings.TrimSpace(must(0, "key", "--db", db))
	if !strings.HasPrefix(key, "clausewatch-") || strings.Count(key, "+") < 2 {
		t.Fatalf("key %q", key)
	}
	if out := must(0, "log", "check", "--db", db); !strings.Contains(out, "ok: every fetch record is in the log") {
		t.Errorf("log check:\n%s", out)
	}
	if out := must(0, "log", "checkpoint", "--db", db); !strings.HasPrefix(out, "clausewatch/") || !strings.Contains(out, "\n— clausewatch-") {
		t.Errorf("log checkpoint:\n%s", out)
	}

	met := filepath.Join(dir, "met.zip")
	if out := must(0, "evidence", "ims", "--notified", "2022-05-13", "-o", met, "--db", db); !strings.Contains(out, "MET: ims") || !strings.Contains(out, "clausewatch verify "+met+" --key '"+key+"'") {
		t.Errorf("evidence:\n%s", out)
	}
	if out := must(0, "verify", met, "--key", key); !strings.HasSuffix(out, met+": verified\n") || strings.Contains(out, "FAIL") {
		t.Errorf("verify:\n%s", out)
	}
	keyFile := filepath.Join(dir, "published.key")
	os.WriteFile(keyFile, []byte(key+"\n"), 0o644)
	must(0, "verify", "--key", keyFile, met)
	if out := must(3, "verify", met); !strings.Contains(out, "integrity ok; origin NOT checked") {
		t.Errorf("verify without a key:\n%s", out)
	}
	if out := must(0, "evidence", "ims", "--notified", "2022-05-05", "-o", filepath.Join(dir, "missed.zip"), "--db", db); !strings.Contains(out, "MISSED") {
		t.Errorf("missed evidence:\n%s", out)
	}
	if out := must(0, "evidence", "ims", "--notified", "2022-06-01", "-o", filepath.Join(dir, "none.zip"), "--db", db); !strings.Contains(out, "NO-CHANGE") {
		t.Errorf("no-change evidence:\n%s", out)
	}

	// One byte of the after capture's body, changed in place.
	data, _ := os.ReadFile(met)
	i := strings.Index(string(data), "This Privacy Notice explains how information is collected, used, and disclosed by 1EdTech")
	data[i+5] ^= 0x20
	bad := filepath.Join(dir, "bad.zip")
	os.WriteFile(bad, data, 0o644)
	out := must(1, "verify", bad, "--key", key)
	if !strings.Contains(out, "FAIL  archive") && !strings.Contains(out, "checksum") {
		t.Errorf("verify of a flipped byte:\n%s", out)
	}
	if !strings.Contains(out, "verify "+bad+": ") || !strings.Contains(out, "checks failed") {
		t.Errorf("verify's error does not name the file:\n%s", out)
	}

	// Usage errors and bad input name what is wrong.
	for _, tt := range []struct {
		code int
		args []string
		want string
	}{
		{2, []string{"evidence", "ims", "--db", db}, "want SOURCE and --notified DATE"},
		{2, []string{"evidence", "ims", "--notified", "13 May", "--db", db}, "--notified"},
		{1, []string{"evidence", "nosuch", "--notified", "2022-05-13", "--db", db}, "nosuch"},
		{1, []string{"evidence", "ims", "--notified", "2021-01-01", "--db", db}, "no capture of ims with its text before the notification"},
		{2, []string{"verify", filepath.Join(dir, "missing.zip")}, "missing.zip"}, // never checked: not a failed check
		{1, []string{"verify", db}, "not a zip archive"},
		{2, []string{"verify", met, "--key", filepath.Join(dir, "nokey")}, "neither a key nor a readable file"},
		{2, []string{"log", "rewrite", "--db", db}, "want 'check' or 'checkpoint'"},
	} {
		if out := must(tt.code, tt.args...); !strings.Contains(out, tt.want) {
			t.Errorf("%v: %q does not say %q", tt.args, out, tt.want)
		}
	}

	// Edit a capture in the database behind clausewatch's back: write
	// the first fetch back with another status, as JSON (the format
	// before compact records, which is still read).
	ro, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	first, err := ro.Fetches(t.Context(), 1, time.Time{}, time.Time{}, 0)
	ro.Close()
	if err != nil || len(first) == 0 || first[0].Status != 200 {
		t.Fatalf("first fetch: %v, %v", first, err)
	}
	first[0].Status = 503
	edited, err := json.Marshal(first[0])
	if err != nil {
		t.Fatal(err)
	}
	b, err := bbolt.Open(db, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bbolt.Tx) error {
		// The fetch log (schema 10): key the fetch ID, value the source
		// and start (16 bytes) then the record.
		log := tx.Bucket([]byte("fetch_log"))
		k := binary.BigEndian.AppendUint64(nil, first[0].ID)
		return log.Put(k, append(bytes.Clone(log.Get(k)[:16]), edited...))
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	if out := must(1, "log", "check", "--db", db); !strings.Contains(out, "edited: log record 0: fetch 1 of source 1") {
		t.Errorf("log check after an edit:\n%s", out)
	}
}
