package web_test

import (
	"encoding/binary"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/web"
)

// TestCorruptDatabaseKeepsServing cuts the database file down to its two
// meta pages under a running server, as a failing disk or a stray
// truncate would: every read then touches a page past the file's end,
// which faults. Each request must get an error status, and the server
// must go on answering, /healthz included.
func TestCorruptDatabaseKeepsServing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // an error: bbolt may hold its locks
	for _, name := range []string{"alpha", "beta", "gamma"} {
		if _, err := db.AddSource(t.Context(), store.Source{Name: name, URL: "https://" + name + ".example/privacy", Origin: "cli"}); err != nil {
			t.Fatal(err)
		}
	}
	srv := serve(t, web.Options{DB: db, OpenRead: true, Logger: slog.New(slog.DiscardHandler)})
	pages := []string{"/", "/sources", "/api/changes", "/api/sources", "/feed.atom"}
	for _, p := range pages {
		if resp, _ := do(t, "GET", srv.URL+p, "", "", nil); resp.StatusCode != 200 {
			t.Fatalf("GET %s before the damage: %d", p, resp.StatusCode)
		}
	}
	head := make([]byte, 32)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.ReadAt(head, 0)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	pageSize := int64(binary.NativeEndian.Uint32(head[24:])) // bbolt's meta page
	if err := os.Truncate(path, 2*pageSize); err != nil {
		t.Fatal(err)
	}
	for _, p := range append(pages, "/healthz") {
		resp, body := do(t, "GET", srv.URL+p, "", "", nil)
		if resp.StatusCode != 500 && resp.StatusCode != 503 {
			t.Errorf("GET %s on a truncated database: got %d, want 500 or 503\n%.300s", p, resp.StatusCode, body)
		}
		if p == "/healthz" && !strings.Contains(body, "corrupt") {
			t.Errorf("healthz: got %q, want it to say the database is corrupt", body)
		}
		// Every page is public or may be (--open-read): none tells where
		// the database lives.
		if strings.Contains(body, path) || strings.Contains(body, filepath.Dir(path)) {
			t.Errorf("GET %s shows the database's path: %.300s", p, body)
		}
	}
	if _, err := db.Sources(t.Context()); err == nil {
		t.Error("Sources on a truncated database: no error")
	}
}
