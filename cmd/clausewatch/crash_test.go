package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

var (
	crashCycles = flag.Int("crash-cycles", 200, "how many times TestCrashSafety kills the daemon (1000+ for a long soak)")
	crashSeed   = flag.Uint64("crash-seed", 0, "seed for TestCrashSafety's kill times (0: from the clock; the test logs it)")
)

// TestCrashSafety kills the daemon with SIGKILL at random moments, again
// and again, while it checks sources whose pages keep changing. After
// every kill the database must open, pass store.Check (bbolt's own check
// plus the history's invariants), hold every fetch the daemon had logged
// as recorded, and still hold — unchanged — every fetch, version and
// change seen after earlier kills.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a daemon hundreds of times")
	}
	seed := *crashSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -crash-seed %d), %d cycles", seed, seed, *crashCycles)
	rng := rand.New(rand.NewPCG(seed, seed>>1))

	// Each source's page moves through four texts, three requests each,
	// so checks see new, unchanged, pending, changed and flip outcomes.
	files := []string{"pages/ims/2019-05-06.html", "pages/ims/2022-05-17.html", "pages/cor/2016-03-17.html", "pages/cor/2016-09-01.html"}
	srv, _ := policyServer(t, func(i, n int) string { return files[(n/3+i)%len(files)] })
	db := filepath.Join(t.TempDir(), "crash.db")
	const nSources = 48
	addSources(t, db, srv.URL, 0, nSources)
	args := []string{"serve", "--db", db, "--log", "json", "--schedule", "@every 1s", "--jitter", "0", "--workers", "4",
		"--confirm-delay", "-1s", "--poll", "200ms", "--listen", "127.0.0.1:0"}

	seen := map[string]string{} // record key → its JSON when first seen
	outcomes := map[store.Outcome]int{}
	var midWork int // kills that came after the daemon had recorded something
	for cycle := range *crashCycles {
		d := startDaemon(t, args...)
		time.Sleep(time.Duration(rng.IntN(500)) * time.Millisecond)
		d.cmd.Process.Signal(syscall.SIGKILL)
		<-d.done
		logged := parseLog(t, d.log())
		for _, l := range logged {
			if l.Msg == "checked" {
				midWork++
				break
			}
		}

		s, err := store.Open(db, store.Options{Timeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("cycle %d: open after SIGKILL: %v", cycle, err)
		}
		if err := s.Check(t.Context()); err != nil {
			s.Close()
			t.Fatalf("cycle %d: consistency check after SIGKILL: %v", cycle, err)
		}
		now := map[string]string{}
		put := func(key string, v any) {
			b, _ := json.Marshal(v)
			now[key] = string(b)
		}
		srcs, err := s.Sources(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]uint64{}
		for _, src := range srcs {
			byName[src.Name] = src.ID
			fs, err := s.Fetches(t.Context(), src.ID, time.Time{}, time.Time{}, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				put(fmt.Sprintf("fetch %d/%d", src.ID, f.ID), f)
				if _, old := seen[fmt.Sprintf("fetch %d/%d", src.ID, f.ID)]; !old {
					outcomes[f.Outcome]++
				}
			}
			vs, err := s.Versions(t.Context(), src.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vs {
				// A version's last-seen moves on; what it is does not.
				v.LastSeen, v.LastFetch = time.Time{}, 0
				put(fmt.Sprintf("version %d/%d/%d", src.ID, v.Generation, v.Seq), v)
			}
		}
		changes, err := s.Changes(t.Context(), store.ChangeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range changes {
			put(fmt.Sprintf("change %d", c.ID), c)
		}
		s.Close()

		for key, was := range seen {
			if is, ok := now[key]; !ok {
				t.Fatalf("cycle %d: %s was in the database after an earlier kill and is gone", cycle, key)
			} else if is != was {
				t.Fatalf("cycle %d: %s changed after a kill:\nwas %s\nnow %s", cycle, key, was, is)
			}
		}
		for _, l := range logged {
			if l.Msg != "checked" {
				continue
			}
			if _, ok := now[fmt.Sprintf("fetch %d/%d", byName[l.Source], l.Fetch)]; !ok {
				t.Fatalf("cycle %d: the daemon logged fetch %d of %s as recorded, but it is not in the database", cycle, l.Fetch, l.Source)
			}
		}
		for k, v := range now {
			if _, ok := seen[k]; !ok {
				seen[k] = v
			}
		}
	}
	var fetches, versions, changes int
	for k := range seen {
		switch {
		case strings.HasPrefix(k, "fetch "):
			fetches++
		case strings.HasPrefix(k, "version "):
			versions++
		case strings.HasPrefix(k, "change "):
			changes++
		}
	}
	t.Logf("%d kills (%d after the daemon had recorded checks): %d fetches, %d versions, %d changes; outcomes %v",
		*crashCycles, midWork, fetches, versions, changes, outcomes)
	// The test means something only if the kills landed amid real work.
	if fetches < *crashCycles || changes == 0 || outcomes[store.OutcomePending] == 0 {
		t.Errorf("too little happened between kills to test anything: %d fetches, %d changes, outcomes %v", fetches, changes, outcomes)
	}
}
