package pgstore_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore"
	"github.com/clausewatch/clausewatch/store/pgstore/pgtest"
)

// crashDSN and crashKey tell a child test process (TestCrashChild) where
// to record.
const (
	crashDSN = "PGSTORE_CRASH_DSN"
	crashKey = "PGSTORE_CRASH_KEY"
)

// TestCrash kills a recording process with SIGKILL while eight of its
// goroutines record through group commit, after it has acknowledged
// (printed) a few dozen records: every acknowledged record is stored,
// and the database and its log check clean. What was lost was never
// acknowledged.
func TestCrash(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.DB(t)
	key := filepath.Join(t.TempDir(), "k")
	cmd := exec.Command(os.Args[0], "-test.run", "^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashDSN+"="+dsn, crashKey+"="+key)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[uint64]uint64{} // fetch ID → source
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		var src, id uint64
		if _, err := fmt.Sscanf(lines.Text(), "acked %d %d", &src, &id); err != nil {
			continue
		}
		acked[id] = src
		if len(acked) == 60 {
			cmd.Process.Kill()
		}
	}
	err = cmd.Wait()
	if len(acked) < 60 || err == nil {
		t.Fatalf("the child acknowledged %d records and exited with %v, want 60 and a kill:\n%s", len(acked), err, stderr.String())
	}
	db, err := pgstore.Open(ctx, dsn, pgstore.Options{KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	size, err := db.LogSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for id, src := range acked {
		fs, err := db.Fetches(ctx, src, time.Time{}, time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range fs {
			found = found || f.ID == id
		}
		if !found {
			t.Errorf("acknowledged fetch %d of source %d was lost", id, src)
		}
	}
	rep, err := db.CheckLog(ctx)
	if err != nil || !rep.OK() {
		t.Errorf("log check after the kill: %+v, %v", rep, err)
	}
	if err := db.Check(ctx); err != nil {
		t.Errorf("check after the kill: %v", err)
	}
	t.Logf("%d records acknowledged, %d stored before the kill", len(acked), size)
}

// TestCrashChild is TestCrash's recording process: it records until it
// is killed, printing each record once Record has returned.
func TestCrashChild(t *testing.T) {
	dsn := os.Getenv(crashDSN)
	if dsn == "" {
		t.Skip("run by TestCrash")
	}
	ctx := context.Background()
	db, err := pgstore.Open(ctx, dsn, pgstore.Options{KeyFile: os.Getenv(crashKey), Commit: store.CommitOptions{MaxBatch: 16}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 8 {
		s, err := db.AddSource(ctx, store.Source{Name: "s" + strconv.Itoa(g), URL: fmt.Sprintf("https://s%d.example/", g)})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for i := 0; ; i++ {
				st, err := db.State(ctx, s.ID)
				if err != nil {
					t.Error(err)
					return
				}
				r := store.Record{State: st, Body: fmt.Appendf(nil, "page %d %d", g, i%3), Start: &store.Version{TextSHA256: store.Hash([]byte{byte(i)})},
					Fetch: store.Fetch{SourceID: s.ID, Start: time.Unix(int64(i), 0).UTC(), URL: s.URL, Status: 200, Outcome: store.OutcomeChanged}}
				f, _, err := db.Record(ctx, r)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				fmt.Printf("acked %d %d\n", s.ID, f.ID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
