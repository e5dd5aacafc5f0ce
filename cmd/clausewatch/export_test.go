package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/warc/warciotest"
)

// gzipped serves h's answers gzip-encoded to clients that ask for it, as
// most sites do: the WARC must then state the decoded body's framing.
func gzipped(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		if rec.Code == http.StatusNotModified || rec.Body.Len() == 0 {
			w.WriteHeader(rec.Code)
			return
		}
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(rec.Body.Bytes())
		zw.Close()
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(z.Len()))
		w.WriteHeader(rec.Code)
		w.Write(z.Bytes())
	})
}

// exportHistory builds a real database: the IMS page checked as served
// in 2019, then after the 2022 change (a changed and a confirming fetch),
// then once more (a 304). It returns the database and its fetches.
func exportHistory(t *testing.T) (string, []store.Fetch) {
	t.Helper()
	var mu sync.Mutex
	served := time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(gzipped(fixtures.Handler(func() time.Time { mu.Lock(); defer mu.Unlock(); return served })))
	t.Cleanup(srv.Close)
	db := filepath.Join(t.TempDir(), "cw.db")
	if out, errOut, code := runCLI(t, "", "add", "--db", db, "--name", "ims", "--supplier", "1EdTech", "--allow-private", srv.URL+"/ims/privacy"); code != 0 {
		t.Fatalf("add: %d %q %q", code, out, errOut)
	}
	check := func() {
		t.Helper()
		if out, errOut, code := runCLI(t, "", "check", "--db", db, "--confirm-delay", "0"); code != 0 {
			t.Fatalf("check: %d %q %q", code, out, errOut)
		}
	}
	check()
	mu.Lock()
	served = time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC)
	mu.Unlock()
	check()
	check()
	return db, storedFetches(t, db)
}

// storedFetches reads the fetches of source 1.
func storedFetches(t *testing.T, path string) []store.Fetch {
	t.Helper()
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fs, err := db.Fetches(context.Background(), 1, time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// TestExportWARC exports a real history as WARC (plain, gzip, and to
// standard output) and reads it back with warcio: every record parses,
// one request, response and metadata record per fetch, the response
// payloads are the stored bodies (their SHA-256 is the fetch's
// BodySHA256), and the block and payload digests hold.
func TestExportWARC(t *testing.T) {
	db, fetches := exportHistory(t)
	if len(fetches) != 4 {
		t.Fatalf("%d fetches stored, want 4 (new, pending, confirming, 304)", len(fetches))
	}
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		args []string
		file string
		gzip bool
	}{
		{"plain", []string{"-o", filepath.Join(dir, "ims.warc")}, "ims.warc", false},
		{"gzip flag", []string{"--gzip", "-o", filepath.Join(dir, "ims-flag.warc.gz")}, "ims-flag.warc.gz", true},
		{"gzip by name", []string{"-o", filepath.Join(dir, "ims.warc.gz")}, "ims.warc.gz", true},
		{"stdout", nil, "stdout.warc", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"export", "--db", db, "--warc"}, tt.args...)
			out, errOut, code := runCLI(t, "", append(args, "ims")...)
			if code != 0 {
				t.Fatalf("export: %d %q", code, errOut)
			}
			path := filepath.Join(dir, tt.file)
			if tt.args == nil {
				if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
					t.Fatal(err)
				}
			} else if !strings.Contains(out, "wrote 4 captures of ims to "+path) {
				t.Errorf("export said %q", out)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if gz := len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b; gz != tt.gzip {
				t.Errorf("gzip output %v, want %v", gz, tt.gzip)
			}
			recs, sum := warciotest.Read(t, path)
			warciotest.Check(t, recs, sum)
			checkExported(t, recs, fetches)
		})
	}
	// Nothing but the archives was left in the directory (no temp files).
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// checkExported checks warcio's records against the stored fetches.
func checkExported(t *testing.T, recs []warciotest.Record, fetches []store.Fetch) {
	t.Helper()
	if len(recs) != 1+3*len(fetches) {
		t.Fatalf("%d records, want %d (warcinfo and 3 per fetch)", len(recs), 1+3*len(fetches))
	}
	if recs[0].Type != "warcinfo" || !strings.Contains(recs[0].BlockText, "clausewatch-source: 1 ims") || !strings.Contains(recs[0].BlockText, "clausewatch-instance: ") {
		t.Errorf("warcinfo: %s %q", recs[0].Type, recs[0].BlockText)
	}
	for i, f := range fetches {
		req, resp, meta := recs[1+3*i], recs[2+3*i], recs[3+3*i]
		if req.Type != "request" || resp.Type != "response" || meta.Type != "metadata" {
			t.Fatalf("fetch %d: record types %s %s %s", f.ID, req.Type, resp.Type, meta.Type)
		}
		if resp.HTTPStatus != f.Status || resp.Target != f.FinalURL || req.ConcurrentTo != resp.ID || meta.RefersTo != resp.ID {
			t.Errorf("fetch %d: status %d (stored %d), target %s (stored %s), links %s %s %s", f.ID, resp.HTTPStatus, f.Status, resp.Target, f.FinalURL, req.ConcurrentTo, meta.RefersTo, resp.ID)
		}
		if want := f.Start.UTC().Format("2006-01-02T15:04:05.000000Z"); resp.Date != want {
			t.Errorf("fetch %d: WARC-Date %s, want %s", f.ID, resp.Date, want)
		}
		if resp.IP != "127.0.0.1" {
			t.Errorf("fetch %d: WARC-IP-Address %q", f.ID, resp.IP)
		}
		if !strings.HasPrefix(req.HTTPStatusLine, "GET /ims/privacy HTTP/1.1") || req.HTTPHeaders["user-agent"] == "" || req.HTTPHeaders["host"] == "" {
			t.Errorf("fetch %d: request %q %v", f.ID, req.HTTPStatusLine, req.HTTPHeaders)
		}
		wantPayload := "sha256:" + f.BodySHA256
		if f.BodySHA256 == "" {
			wantPayload = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" // no body (304)
		}
		if resp.PayloadSHA256 != wantPayload || resp.PayloadDigest != wantPayload || resp.PayloadLength != f.BodySize {
			t.Errorf("fetch %d: payload %s (stated %s, %d bytes), stored body %s (%d bytes)", f.ID, resp.PayloadSHA256, resp.PayloadDigest, resp.PayloadLength, f.BodySHA256, f.BodySize)
		}
		if f.Status == 200 {
			if resp.HTTPHeaders["content-encoding"] != "" || resp.HTTPHeaders["x-archive-orig-content-encoding"] != "gzip" || resp.HTTPHeaders["content-length"] != strconv.Itoa(f.BodySize) {
				t.Errorf("fetch %d: the decoded body's framing: %v", f.ID, resp.HTTPHeaders)
			}
			if resp.HTTPHeaders["x-archive-orig-content-length"] == "" {
				t.Errorf("fetch %d: the gzipped length is not kept: %v", f.ID, resp.HTTPHeaders)
			}
		}
		var m struct {
			Fetch  store.Fetch `json:"fetch"`
			Source struct {
				Name string `json:"name"`
			} `json:"source"`
			LogRecord *int64 `json:"log_record"`
			LogLeaf   string `json:"log_leaf_sha256"`
		}
		if err := json.Unmarshal([]byte(meta.BlockText), &m); err != nil || m.Fetch.ID != f.ID || m.Fetch.Outcome != f.Outcome || m.Fetch.BodySHA256 != f.BodySHA256 || m.Source.Name != "ims" {
			t.Errorf("fetch %d: metadata %v %.300s", f.ID, err, meta.BlockText)
		}
		// Fetches are logged in the order written: fetch n is record n-1.
		if m.LogRecord == nil || *m.LogRecord != int64(f.ID-1) || m.LogLeaf != tlog.RecordHash(store.LogLeaf(f)).String() {
			t.Errorf("fetch %d: log record %v, leaf %q", f.ID, m.LogRecord, m.LogLeaf)
		}
	}
}

// TestExportSince keeps the fetches started at or after --since (flags
// after SOURCE work too).
func TestExportSince(t *testing.T) {
	db, fetches := exportHistory(t)
	path := filepath.Join(t.TempDir(), "since.warc")
	since := fetches[2].Start.Format(time.RFC3339Nano)
	out, errOut, code := runCLI(t, "", "export", "--db", db, "--warc", "ims", "--since", since, "-o", path)
	if code != 0 || !strings.Contains(out, "wrote 2 captures") {
		t.Fatalf("export --since: %d %q %q", code, out, errOut)
	}
	recs, sum := warciotest.Read(t, path)
	warciotest.Check(t, recs, sum)
	checkExported(t, recs, fetches[2:])
	if !strings.Contains(recs[0].BlockText, "clausewatch-since: "+fetches[2].Start.UTC().Format(time.RFC3339Nano)) {
		t.Errorf("warcinfo does not say since when: %q", recs[0].BlockText)
	}
	if out, _, code = runCLI(t, "", "export", "--db", db, "--warc", "--since", "1h", "-o", path+"2", "ims"); code != 0 || !strings.Contains(out, "wrote 4 captures") {
		t.Errorf("export --since 1h: %d %q", code, out)
	}
	if out, _, code = runCLI(t, "", "export", "--db", db, "--warc", "--since", "2099-01-01", "-o", path+"3", "ims"); code != 0 || !strings.Contains(out, "wrote 0 captures") {
		t.Errorf("export --since in the future: %d %q", code, out)
	}
}

// TestExportErrors: usage errors exit 2 and say what was wrong; a missing
// or corrupt body fails the export, names the fetch, and leaves nothing.
func TestExportErrors(t *testing.T) {
	db, fetches := exportHistory(t)
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"export", "--db", db, "ims"}, 2, "--warc"},
		{[]string{"export", "--db", db, "--warc", "--bogus", "ims"}, 2, "bogus"},
		{[]string{"export", "--db", db, "--warc", "ims", "--bogus"}, 2, "bogus"},
		{[]string{"export", "--db", db, "--warc"}, 2, "want one SOURCE"},
		{[]string{"export", "--db", db, "--warc", "ims", "other"}, 2, "want one SOURCE"},
		{[]string{"export", "--db", db, "--warc", "--since", "soonish", "ims"}, 2, "not a time"},
		{[]string{"export", "--db", db, "--warc", "nosuch"}, 2, `source "nosuch"`},
		{[]string{"export", "--db", filepath.Join(dir, "missing.db"), "--warc", "ims"}, 1, "no database at"},
		{[]string{"export", "--db", db, "--warc", "-o", filepath.Join(dir, "no", "such", "dir.warc"), "ims"}, 1, "no such file"},
	} {
		out, errOut, code := runCLI(t, "", tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, %q; want exit %d and an error with %q", tt.args[3:], code, errOut, tt.code, tt.want)
		}
		if out != "" {
			t.Errorf("%v: wrote %q", tt.args[3:], out)
		}
	}
	if out, _, code := runCLI(t, "", "export", "-h"); code != 0 || !strings.Contains(out, "WARC 1.1") {
		t.Errorf("export -h: %d %q", code, out)
	}

	// Break the body of the first fetch: missing, then corrupt.
	first := fetches[0]
	key, _ := hex.DecodeString(first.BodySHA256)
	for _, tt := range []struct {
		name   string
		damage func(b *bbolt.Bucket) error
		want   string
	}{
		{"corrupt", func(b *bbolt.Bucket) error { return b.Put(key, []byte{1, 'n', 'o', 't', ' ', 'z', 's', 't', 'd'}) }, "corrupt"},
		{"missing", func(b *bbolt.Bucket) error { return b.Delete(key) }, "not found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bdb, err := bbolt.Open(db, 0o600, &bbolt.Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			err = bdb.Update(func(tx *bbolt.Tx) error { return tt.damage(tx.Bucket([]byte("blobs"))) })
			bdb.Close()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tt.name+".warc")
			for _, args := range [][]string{{"-o", path}, nil} {
				out, errOut, code := runCLI(t, "", append(append([]string{"export", "--db", db, "--warc"}, args...), "ims")...)
				if code != 1 || !strings.Contains(errOut, "fetch "+strconv.FormatUint(first.ID, 10)+" (") || !strings.Contains(errOut, tt.want) {
					t.Errorf("export %v with a %s body: exit %d, %q", args, tt.name, code, errOut)
				}
				if out != "" {
					t.Errorf("export %v with a %s body wrote %d bytes", args, tt.name, len(out))
				}
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("%s exists after a failed export: %v", path, err)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp") {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
		})
	}
}

// TestExportRefusesInjection: a stored header that would break the WARC
// framing (here planted in the last fetch) fails the export with an error
// naming the fetch, and nothing is written, to a file or to standard
// output, although the fetches before it were fine.
func TestExportRefusesInjection(t *testing.T) {
	db, fetches := exportHistory(t)
	last := fetches[len(fetches)-1]
	bdb, err := bbolt.Open(db, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bbolt.Tx) error {
		// The fetch log (schema 10): key the fetch ID, value the source
		// and start (16 bytes) then the record.
		b := tx.Bucket([]byte("fetch_log"))
		k := binary.BigEndian.AppendUint64(nil, last.ID)
		// The last fetch written back as JSON (the format before compact
		// records, which is still read) with a planted header.
		f := last
		f.Header = map[string][]string{"X-Planted": {"a\r\nWARC-Type: resource"}}
		data, err := json.Marshal(f)
		if err != nil {
			return err
		}
		return b.Put(k, append(bytes.Clone(b.Get(k)[:16]), data...))
	})
	bdb.Close()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "x.warc")
	for _, args := range [][]string{{"-o", path}, nil} {
		out, errOut, code := runCLI(t, "", append(append([]string{"export", "--db", db, "--warc"}, args...), "ims")...)
		want := "capture fetch " + strconv.FormatUint(last.ID, 10) + " ("
		if code != 1 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "X-Planted") {
			t.Errorf("export %v: exit %d, %q; want an error with %q and the header", args, code, errOut, want)
		}
		if out != "" {
			t.Errorf("export %v wrote %d bytes", args, len(out))
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("%s exists after a refused export: %v", path, err)
	}
}
