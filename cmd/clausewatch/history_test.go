package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/store"
)

// TestHistoryCommands drives the history commands end to end on a real
// database and the fixture server: add, check, the policy changes, check,
// then sources, history, show --at, changes, diff SOURCE, reextract,
// backup.
func TestHistoryCommands(t *testing.T) {
	var mu sync.Mutex
	served := time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(fixtures.Handler(func() time.Time { mu.Lock(); defer mu.Unlock(); return served }))
	defer srv.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "cw.db")
	url := srv.URL + "/ims/privacy"

	out, errOut, code := runCLI(t, "", "add", "--db", db, "--name", "ims", "--supplier", "1EdTech", "--allow-private", url)
	if code != 0 || !strings.Contains(out, "added 1 ims") {
		t.Fatalf("add: %d %q %q", code, out, errOut)
	}
	if _, errOut, code = runCLI(t, "", "add", "--db", db, "--name", "ims2", "--supplier", "x", url); code == 0 || !strings.Contains(errOut, "already") {
		t.Errorf("duplicate add: %d %q", code, errOut)
	}
	out, errOut, code = runCLI(t, "", "check", "--db", db)
	if code != 0 || !strings.Contains(out, "ims: new, version 1") {
		t.Fatalf("first check: %d %q %q", code, out, errOut)
	}
	mu.Lock()
	served = time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC)
	mu.Unlock()
	out, errOut, code = runCLI(t, "", "check", "--db", db, "--confirm-delay", "0", "ims")
	if code != 0 || !strings.Contains(out, "ims: changed, version 2") || !strings.Contains(out, "change 1: Re-vet: 3 substantive changes (sharing, scope)") {
		t.Fatalf("check after the change: %d %q %q", code, out, errOut)
	}
	out, _, code = runCLI(t, "", "check", "--db", db, "--json")
	var lines []checkLine
	if code != 0 || json.Unmarshal([]byte(out), &lines) != nil || len(lines) != 1 || (lines[0].Outcome != store.OutcomeNotModified && lines[0].Outcome != store.OutcomeUnchanged) {
		t.Errorf("check --json: %d %s", code, out)
	}

	out, _, _ = runCLI(t, "", "sources", "--db", db)
	if !strings.Contains(out, "ims") || !strings.Contains(out, "ok") || !strings.Contains(out, " 2 ") {
		t.Errorf("sources:\n%s", out)
	}
	out, _, _ = runCLI(t, "", "history", "--db", db, "ims")
	if !strings.Contains(out, "4 fetches: 1 new 1 changed") || !strings.Contains(out, "! 1 ") {
		t.Errorf("history:\n%s", out)
	}
	// show --at: the clauses as they were at a time (here: now, and
	// before anything was fetched).
	out, _, code = runCLI(t, "", "show", "--db", db, "ims")
	if code != 0 || !strings.Contains(out, "version 2") || !strings.Contains(out, "1EdTech") {
		t.Errorf("show: %d %.300s", code, out)
	}
	if _, errOut, code = runCLI(t, "", "show", "--db", db, "--at", "2001-01-01", "ims"); code != 2 || !strings.Contains(errOut, "no version") {
		t.Errorf("show --at before any fetch: %d %q", code, errOut)
	}
	if _, errOut, code = runCLI(t, "", "show", "--db", db, "--at", "yesterday-ish", "ims"); code != 2 || !strings.Contains(errOut, "not a time") {
		t.Errorf("show --at junk: %d %q", code, errOut)
	}
	out, _, _ = runCLI(t, "", "changes", "--db", db, "--revet")
	if !strings.Contains(out, "ims v1→v2") {
		t.Errorf("changes --revet:\n%s", out)
	}
	out, _, _ = runCLI(t, "", "changes", "--db", db, "--since", "1d", "--json")
	var changes []store.Change
	if json.Unmarshal([]byte(out), &changes) != nil || len(changes) != 1 || !changes[0].Revet {
		t.Errorf("changes --since 1d --json: %s", out)
	}
	out, _, code = runCLI(t, "", "diff", "--db", db, "ims")
	if code != 1 || !strings.Contains(out, "Re-vet") || !strings.Contains(out, "IMS Global") {
		t.Errorf("diff SOURCE: %d %.400s", code, out)
	}
	out, _, code = runCLI(t, "", "reextract", "--db", db)
	if code != 0 || !strings.Contains(out, "ims: 2 pages read again → 2 versions (was 2), generation 2") {
		t.Errorf("reextract: %d %q", code, out)
	}
	if out, _, _ = runCLI(t, "", "changes", "--db", db); strings.Count(out, "\n") != 1 {
		t.Errorf("feed after reextract (want only the real change):\n%s", out)
	}
	backup := filepath.Join(dir, "copy.db")
	if out, errOut, code = runCLI(t, "", "backup", "--db", db, backup); code != 0 {
		t.Fatalf("backup: %q %q", out, errOut)
	}
	if out, _, code = runCLI(t, "", "history", "--db", backup, "ims"); code != 0 || !strings.Contains(out, "generation 2") {
		t.Errorf("history of the backup: %d\n%s", code, out)
	}

	// Errors name what was wrong.
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"history", "--db", db, "nosuch"}, `source "nosuch"`},
		{[]string{"sources", "--db", filepath.Join(dir, "missing.db")}, "no database at"},
		{[]string{"add", "--db", db, "--name", "x", "--supplier", "y", "--schedule", "sometimes", "https://x.example/"}, `schedule "sometimes"`},
		{[]string{"add", "--db", db, "--name", "x", "--supplier", "y", "--select", "main[", "https://x.example/"}, "main["},
		{[]string{"add", "--db", db, "https://x.example/"}, "--name and --supplier"},
		{[]string{"check", "--db", db, "--bogus"}, "bogus"},
	} {
		_, errOut, code := runCLI(t, "", tt.args...)
		if code == 0 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, %q; want an error with %q", tt.args, code, errOut, tt.want)
		}
	}
}

func TestAddFromWatchlist(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "cw.db")
	list := filepath.Join(dir, "list.yaml")
	os.WriteFile(list, []byte("sources:\n  - name: a\n    url: https://a.example/privacy\n    supplier: A\n  - name: b\n    url: https://b.example/terms\n    supplier: B\n    kind: terms\n"), 0o600)
	out, errOut, code := runCLI(t, "", "add", "--db", db, "--from", list)
	if code != 0 || strings.Count(out, "added") != 2 {
		t.Fatalf("add --from: %d %q %q", code, out, errOut)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("sources:\n  - name: c\n    url: https://c.example/\n    supplier: C\n    kind: cookies\n"), 0o600)
	if _, errOut, code = runCLI(t, "", "add", "--db", db, "--from", bad); code != 2 || !strings.Contains(errOut, "bad.yaml:2") {
		t.Errorf("bad watchlist: %d %q", code, errOut)
	}
	out, _, _ = runCLI(t, "", "sources", "--db", db, "--json")
	var rows []sourceRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 2 || rows[1].Kind != store.Terms || rows[0].Origin != "watchlist" {
		t.Errorf("sources --json: %v %s", err, out)
	}
}
