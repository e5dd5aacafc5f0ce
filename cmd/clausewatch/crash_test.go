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
	crashCycles = flag.Int("crash-cycles", 12, "how many times TestCrashSafety kills the daemon (.ci/run: 200; 1000+ for a long soak)")
	crashSeed   = flag.Uint64("crash-seed", 0, "seed for TestCrashSafety's kill times (0: from the clock; the test logs it)")
)

// TestCrashSafety kills the daemon with SIGKILL at random moments, again
// and again, while it checks sources whose pages keep changing. After
// every kill the database must open, pass store.Check (bbolt's own check
// plus the history's invariants), hold every fetch the daemon had logged
// as recorded, and still hold — unchanged — every fetch, version and
// change seen after earlier kills.
//
// A kill's moment is drawn as an event, not a time: each cycle waits
// until the daemon has logged a random number of recorded checks (a
// loaded machine only makes that wait longer), then kills it after a few
// random milliseconds more, so kills land between and inside commits
// alike. The test never depends on how fast the machine is: it runs
// until the kills have landed amid every kind of outcome it means to
// test, within a bound on cycles.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a daemon again and again")
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
	const nSources = 16
	addSources(t, db, srv.URL, 0, nSources)
	args := []string{"serve", "--db", db, "--log", "json", "--schedule", "@every 1s", "--jitter", "0", "--workers", "4",
		"--confirm-delay", "-1s", "--poll", "200ms", "--listen", "127.0.0.1:0"}

	seen := map[string]string{} // record key → its JSON when first seen
	outcomes := map[store.Outcome]int{}
	var changes int
	// enough is whether the kills have landed amid every kind of work:
	// all the cycles asked for, and at least one pending and one changed
	// fetch recorded between kills. Past maxCycles the test gives up.
	enough := func(cycle int) bool {
		return cycle >= *crashCycles && changes > 0 && outcomes[store.OutcomePending] > 0
	}
	maxCycles := 4**crashCycles + 20
	cycle := 0
	for ; !enough(cycle) && cycle < maxCycles; cycle++ {
		d := startDaemon(t, args...)
		// Wait for 1..2n recorded checks (most cycles: into the second
		// round), then up to 50 ms more. A loaded machine only makes the
		// wait longer; past a generous bound the kill comes anyway, as
		// long as the daemon has recorded something.
		want := 1 + rng.IntN(2*nSources)
		switch got, exited := d.waitUpTo(2*time.Minute, want, `"msg":"checked"`); {
		case exited:
			t.Fatalf("cycle %d: daemon exited (%v) before it was killed\n%s", cycle, d.exit, d.log())
		case got == 0:
			t.Fatalf("cycle %d: daemon recorded no check in two minutes\n%s", cycle, d.log())
		case got < want:
			t.Logf("cycle %d: killed after %d recorded checks of the %d drawn (bound reached)", cycle, got, want)
		}
		time.Sleep(time.Duration(rng.IntN(50)) * time.Millisecond)
		d.cmd.Process.Signal(syscall.SIGKILL)
		<-d.done
		logged := parseLog(t, d.log())

		s, err := store.Open(db, store.Options{Timeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("cycle %d: open after SIGKILL: %v", cycle, err)
		}
		if err := s.Check(t.Context()); err != nil {
			s.Close()
			t.Fatalf("cycle %d: consistency check after SIGKILL: %v", cycle, err)
		}
		// What "clausewatch log check" runs: every leaf rebuilt from its
		// fetch record and every signed checkpoint matched against the
		// tree (group commit signs one checkpoint per batch).
		if rep, err := s.CheckLog(t.Context()); err != nil || !rep.OK() {
			s.Close()
			t.Fatalf("cycle %d: log check after SIGKILL: %v %v", cycle, rep.Problems, err)
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
		cs, err := s.Changes(t.Context(), store.ChangeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		changes = len(cs)
		for _, c := range cs {
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
	var fetches, versions int
	for k := range seen {
		switch {
		case strings.HasPrefix(k, "fetch "):
			fetches++
		case strings.HasPrefix(k, "version "):
			versions++
		}
	}
	t.Logf("%d kills: %d fetches, %d versions, %d changes; outcomes %v", cycle, fetches, versions, changes, outcomes)
	// The test means something only if the kills landed amid real work.
	if !enough(cycle) {
		t.Errorf("after %d kills, too little happened between them to test anything: %d changes, outcomes %v", cycle, changes, outcomes)
	}
}
