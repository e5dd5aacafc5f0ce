package pgstore_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore"
	"github.com/clausewatch/clausewatch/store/pgstore/pgtest"
	"github.com/clausewatch/clausewatch/store/storetest"
)

// One PostgreSQL cluster for the whole test binary; a database per test.
// A child of TestCrash uses its parent's cluster.
func TestMain(m *testing.M) {
	if os.Getenv(crashDSN) != "" {
		os.Exit(m.Run())
	}
	os.Exit(pgtest.Main(m))
}

// openTest opens a fresh database with its key in a temp dir.
func openTest(t *testing.T, o storetest.Options) *pgstore.DB {
	t.Helper()
	db, err := pgstore.Open(context.Background(), pgtest.DB(t), pgstore.Options{KeyFile: filepath.Join(t.TempDir(), "log.key"), Now: o.Now, MaxConns: 16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestConformance holds the PostgreSQL backend to the store's contract.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, o storetest.Options) store.Store { return openTest(t, o) }, nil)
}
