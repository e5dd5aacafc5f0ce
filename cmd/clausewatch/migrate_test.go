package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore"
	"github.com/clausewatch/clausewatch/store/pgstore/pgtest"
)

// TestMigrate: "clausewatch migrate" copies a database with a real
// history into PostgreSQL, where the changes, the log's root and its
// checkpoints are the same; it refuses a second copy into the same
// database and a target that is not PostgreSQL.
func TestMigrate(t *testing.T) {
	db := evidenceHistory(t)
	dsn := pgtest.Standalone(t)
	if out, errOut, code := runCLI(t, "", "migrate", "--db", db, "--to", "/tmp/x.db"); code != 2 || !strings.Contains(errOut, "postgres://") {
		t.Errorf("migrate to a file: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code := runCLI(t, "", "migrate", "--from", db, "--to", dsn, "--json")
	if code != 0 {
		t.Fatalf("migrate: exit %d\n%s%s", code, out, errOut)
	}
	var n pgstore.Copied
	if err := json.Unmarshal([]byte(out), &n); err != nil || n.Sources == 0 || n.Fetches == 0 || n.LogSize != int64(n.Fetches) {
		t.Fatalf("migrate printed %q (%v)", out, err)
	}
	ctx := t.Context()
	bolt, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer bolt.Close()
	pg, err := pgstore.Open(ctx, dsn, pgstore.Options{KeyFile: db + ".key"})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	for what, read := range map[string]func(store.Store) (any, error){
		"changes": func(s store.Store) (any, error) { return s.Changes(ctx, store.ChangeFilter{Reextracted: true}) },
		"sources": func(s store.Store) (any, error) { return s.Sources(ctx) },
		"latest":  func(s store.Store) (any, error) { return s.LatestCheckpoint(ctx) },
		"kept":    func(s store.Store) (any, error) { return s.Checkpoints(ctx) },
		"key":     func(s store.Store) (any, error) { return s.PublicKey(ctx) },
	} {
		a, errA := read(bolt)
		b, errB := read(pg)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if errA != nil || errB != nil || string(ja) != string(jb) {
			t.Errorf("%s: bbolt %s (%v), postgres %s (%v)", what, ja, errA, jb, errB)
		}
	}
	var riverTables int
	if err := pgxQueryInt(t, dsn, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'river_job'", &riverTables); err != nil || riverTables != 1 {
		t.Errorf("River's job table after migrate: %d (%v)", riverTables, err)
	}
	if rep, err := pg.CheckLog(ctx); err != nil || !rep.OK() {
		t.Errorf("log check in PostgreSQL: %v, %v", rep.Problems, err)
	}
	out, errOut, code = runCLI(t, "", "migrate", "--db", db, "--to", dsn, "--key", db+".key")
	if code != 1 || !strings.Contains(errOut, "not empty") {
		t.Errorf("second migrate into the same database: exit %d\n%s%s", code, out, errOut)
	}
}

// pgxQueryInt reads one integer from the database at dsn.
func pgxQueryInt(t *testing.T, dsn, q string, v *int) error {
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		return err
	}
	defer conn.Close(t.Context())
	return conn.QueryRow(t.Context(), q).Scan(v)
}
