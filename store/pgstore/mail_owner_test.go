package pgstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/clausewatch/clausewatch/store/pgstore"
	"github.com/clausewatch/clausewatch/store/pgstore/pgtest"
	"github.com/jackc/pgx/v5"
)

// TestMailOwnerMigration: a database at schema 2 whose subscriptions have
// no owner is migrated by 0003_mail_owner.sql; they become the admins'
// (owner ”), and one written later with an owner lists under it.
func TestMailOwnerMigration(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.DB(t)
	key := filepath.Join(t.TempDir(), "k")
	db, err := pgstore.Open(ctx, dsn, pgstore.Options{KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// Back to schema 2, as a database written before owners is.
	for _, q := range []string{
		"DELETE FROM schema_migrations WHERE version = 3",
		"DROP INDEX mail_subs_owner",
		"ALTER TABLE mail_subs DROP COLUMN owner",
		`INSERT INTO mail_subs (id, doc) VALUES (5, '{"v":1,"id":5,"user":"ann","email":"a@example.org","floor":"revet","mode":"immediate","created":"2026-01-02T00:00:00Z","cursor":0}')`,
		"SELECT setval('mail_subs_id_seq', 5)",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db, err = pgstore.Open(ctx, dsn, pgstore.Options{KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// 0003 is applied again although later ones are in place: the runner
	// applies every number a database lacks.
	var has3 bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = 3)").Scan(&has3); err != nil || !has3 {
		t.Errorf("migration 3 not recorded after opening: %v, %v", has3, err)
	}
	if mine, err := db.SubscriptionsOf(ctx, "ann"); err != nil || len(mine) != 0 {
		t.Errorf("the maker of an old subscription does not own it: %+v, %v", mine, err)
	}
	admins, err := db.SubscriptionsOf(ctx, "")
	if err != nil || len(admins) != 1 || admins[0].ID != 5 || admins[0].User != "ann" {
		t.Fatalf("the admins' after migrating: %+v, %v", admins, err)
	}
	if err := db.DeleteOwnSubscription(ctx, 5, "ann"); err == nil {
		t.Error("ann deleted an admins' subscription")
	}
}
