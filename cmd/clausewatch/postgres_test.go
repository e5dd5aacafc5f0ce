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
	"github.com/clausewatch/clausewatch/store/pgstore/pgtest"
)

// pgShared is one throwaway PostgreSQL for every test of this binary
// that needs it, started by the first (so that the other tests do not
// pay for it) and stopped by TestMain.
var pgShared struct {
	once    sync.Once
	cluster *pgtest.Cluster
	err     error
}

// pgDB is the connection string of a new, empty database in the shared
// cluster; without PostgreSQL it skips t (fails it under CI=true).
func pgDB(t testing.TB) string {
	t.Helper()
	pgShared.once.Do(func() { pgShared.cluster, pgShared.err = pgtest.Start() })
	if pgShared.err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true: %v", pgShared.err)
		}
		t.Skipf("PostgreSQL tests skipped: %v (install Debian's postgresql package; under CI=true this fails)", pgShared.err)
	}
	dsn, err := pgShared.cluster.NewDatabase(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// stopPG stops the shared cluster, if a test started it.
func stopPG() {
	if pgShared.cluster != nil {
		pgShared.cluster.Stop()
	}
}

// TestPostgresCommands runs the CLI on --db postgres://… end to end: add
// a source on the fixture server, check, the page changes, check again;
// then changes shows the one re-vet change, log check passes, and an
// evidence bundle verifies against the published key. Without --key
// (or $CLAUSEWATCH_KEY) a command refuses, naming what is missing.
func TestPostgresCommands(t *testing.T) {
	dsn := pgDB(t)
	var mu sync.Mutex
	served := time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(fixtures.Handler(func() time.Time { mu.Lock(); defer mu.Unlock(); return served }))
	defer srv.Close()
	dir := t.TempDir()
	key := filepath.Join(dir, "log.key")
	must := func(code int, args ...string) string {
		t.Helper()
		out, errOut, got := runCLI(t, "", append(args, "--db", dsn, "--key", key)...)
		if got != code {
			t.Fatalf("%v: exit %d, want %d\n%s%s", args, got, code, out, errOut)
		}
		return out + errOut
	}

	if _, errOut, code := runCLI(t, "", "sources", "--db", dsn); code != 2 || !strings.Contains(errOut, "--key FILE or $"+keyEnv) {
		t.Errorf("sources without a key: exit %d, %q", code, errOut)
	}
	if out := must(0, "add", "--name", "ims", "--supplier", "1EdTech", "--allow-private", srv.URL+"/ims/privacy"); !strings.Contains(out, "added 1 ims") {
		t.Fatalf("add:\n%s", out)
	}
	if out := must(0, "check"); !strings.Contains(out, "ims: new, version 1") {
		t.Fatalf("first check:\n%s", out)
	}
	mu.Lock()
	served = time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC)
	mu.Unlock()
	if out := must(0, "check", "--confirm-delay", "0", "ims"); !strings.Contains(out, "ims: changed, version 2") || !strings.Contains(out, "Re-vet") {
		t.Fatalf("check after the change:\n%s", out)
	}
	var changes []store.Change
	if out := must(0, "changes", "--json"); json.Unmarshal([]byte(out), &changes) != nil || len(changes) != 1 || !changes[0].Revet {
		t.Errorf("changes --json: want one re-vet change, got\n%s", out)
	}
	t.Setenv(keyEnv, key) // the key from the environment from here on
	if out, errOut, code := runCLI(t, "", "sources", "--db", dsn); code != 0 || !strings.Contains(out, "ims") {
		t.Errorf("sources with $%s: exit %d\n%s%s", keyEnv, code, out, errOut)
	}
	for _, args := range [][]string{{"history", "ims"}, {"show", "ims"}, {"deadlines"}, {"key"}} {
		must(0, args...)
	}
	if out := must(1, "diff", "ims"); !strings.Contains(out, "Re-vet") {
		t.Errorf("diff SOURCE:\n%s", out)
	}
	if out := must(0, "log", "check"); !strings.Contains(out, "ok: every fetch record is in the log") || !strings.Contains(out, "3 fetch records") {
		t.Errorf("log check:\n%s", out)
	}
	pub := strings.TrimSpace(must(0, "key"))
	bundle := filepath.Join(dir, "ims.zip")
	// Both captures are from today: notified tomorrow, the bundle holds
	// the latest capture, its proofs and the checkpoint.
	notified := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	if out := must(0, "evidence", "ims", "--notified", notified, "-o", bundle); !strings.Contains(out, "ims") {
		t.Errorf("evidence:\n%s", out)
	}
	if out, errOut, code := runCLI(t, "", "verify", bundle, "--key", pub); code != 0 || !strings.HasSuffix(out, bundle+": verified\n") {
		t.Errorf("verify: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := runCLI(t, "", "backup", "--db", dsn, filepath.Join(dir, "copy.db")); code != 2 || !strings.Contains(errOut, "pg_dump") {
		t.Errorf("backup of PostgreSQL: exit %d, %q", code, errOut)
	}
}
