package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting/evidence"
	"github.com/clausewatch/clausewatch/web"
)

// TestEvidenceFromTheWeb: the bundle the web server hands out is the very
// file 'clausewatch evidence' writes for the same source, date and
// moment, byte for byte, and 'clausewatch verify' passes it. Each case
// is a deadline outcome (met, missed, no change).
func TestEvidenceFromTheWeb(t *testing.T) {
	dbPath := evidenceHistory(t)
	dir := filepath.Dir(dbPath)
	key, _, code := runCLI(t, "", "key", "--db", dbPath)
	if code != 0 {
		t.Fatalf("key: exit %d", code)
	}
	key = strings.TrimSpace(key)
	for _, tt := range []struct {
		notified, outcome string
	}{
		{"2022-05-13", "met"},
		{"2022-05-05", "missed"},
		{"2022-06-01", "no-change"},
	} {
		t.Run(tt.notified, func(t *testing.T) {
			cliFile := filepath.Join(dir, "cli-"+tt.notified+".zip")
			if out, errOut, code := runCLI(t, "", "evidence", "ims", "--notified", tt.notified, "-o", cliFile, "--db", dbPath); code != 0 {
				t.Fatalf("evidence: exit %d\n%s%s", code, out, errOut)
			}
			cli, err := os.ReadFile(cliFile)
			if err != nil {
				t.Fatal(err)
			}
			rep := evidence.Verify(cli, evidence.VerifyOptions{Key: key})
			if !rep.Verified || rep.Manifest == nil || rep.Manifest.Deadline.Outcome != tt.outcome {
				t.Fatalf("CLI bundle: verified %v, %s", rep.Verified, rep.Failures())
			}
			// The web server on the same database, its clock at the moment
			// the CLI made its bundle.
			made := rep.Manifest.Created
			got, name := downloadEvidence(t, dbPath, made, "ims", tt.notified)
			if !bytes.Equal(got, cli) {
				t.Fatalf("the web's bundle (%d bytes) differs from the CLI's (%d bytes)", len(got), len(cli))
			}
			if want := "evidence-ims-" + tt.notified + ".zip"; name != want {
				t.Errorf("download named %q, want %q", name, want)
			}
			webFile := filepath.Join(dir, "web-"+tt.notified+".zip")
			if err := os.WriteFile(webFile, got, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, errOut, code := runCLI(t, "", "verify", webFile, "--key", key); code != 0 || !strings.HasSuffix(out, webFile+": verified\n") {
				t.Errorf("verify of the downloaded bundle: exit %d\n%s%s", code, out, errOut)
			}
		})
	}
}

// downloadEvidence opens the database, serves it with the clock at now,
// and downloads a bundle as a signed-in token holder; it returns the
// bytes and the file name the server gave.
func downloadEvidence(t *testing.T, dbPath string, now time.Time, source, notified string) ([]byte, string) {
	t.Helper()
	db, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	secret, _, err := db.CreateToken(t.Context(), "office-"+notified, store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := web.New(t.Context(), web.Options{DB: db, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/evidence?"+url.Values{"source": {source}, "notified": {notified}}.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("GET /evidence: %d %s: %.300s", resp.StatusCode, resp.Header.Get("Content-Type"), data)
	}
	_, name, _ := strings.Cut(resp.Header.Get("Content-Disposition"), "filename=")
	return data, strings.Trim(name, `"`)
}
