package store

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

var (
	yearMonths   = flag.Int("year-months", 0, "TestSimulatedYear: months (730 hourly rounds each) to simulate; 0 is the small run (40 sources, 48 rounds)")
	yearRounds   = flag.Int("year-rounds", 0, "TestSimulatedYear: rounds to simulate instead of -year-months (figures every tenth of them)")
	yearSources  = flag.Int("year-sources", 1000, "TestSimulatedYear: sources checked every round, with -year-months")
	yearWorkers  = flag.Int("year-workers", 4, "TestSimulatedYear: checks at once (the daemon's --workers default)")
	yearSync     = flag.Bool("year-sync", false, "TestSimulatedYear: fsync every commit as the daemon does (default: NoSync, same file)")
	yearRSS      = flag.String("year-rss", "1,3,6,12", "TestSimulatedYear: months after which a fresh process opens the file and measures its RSS")
	yearResident = flag.Bool("year-resident", false, "TestSimulatedYear: the child says after each step which buckets its resident file pages belong to")
	yearDir      = flag.String("year-dir", "", "TestSimulatedYear: keep the database in this directory")
)

// roundsPerMonth is a twelfth of a year of hourly rounds.
const roundsPerMonth = 8760 / 12

// yearChildEnv names the state file of a child process that measures
// RSS (TestSimulatedYear starts its own test binary so).
const yearChildEnv = "CLAUSEWATCH_YEAR_CHILD"

// TestSimulatedYear writes hourly rounds of checks of many sources
// through the store's write path (year_sim_test.go says what a round
// holds) into a file on disk, on a clock that moves an hour a round, and
// prints after each month the file's size, the bytes per fetch and what
// each bucket holds; after the months of -year-rss a fresh process opens
// the file and runs an unchanged round, reads the feed's first page and
// one source's history, and prints its peak RSS after each.
//
//	go test ./store -run '^TestSimulatedYear$' -v                      # small: 40 sources, 2 days
//	go test ./store -run '^TestSimulatedYear$' -v -year-months 1        # 1,000 sources, 730 rounds
//	go test ./store -run '^TestSimulatedYear$' -v -year-months 12 -timeout 0
//	go test ./store -run '^TestSimulatedYear$' -v -year-sources 300 -year-rounds 73 -year-sync  # with fsync
//
// The checks it makes do not depend on speed: every fetch is in the log,
// the child reads back every fetch of its source, and the small run ends
// with Check and CheckLog clean.
func TestSimulatedYear(t *testing.T) {
	if path := os.Getenv(yearChildEnv); path != "" {
		yearChild(t, path)
		return
	}
	sources, rounds, every := *yearSources, *yearMonths*roundsPerMonth, roundsPerMonth
	rss := map[int]bool{}
	for _, m := range strings.Split(*yearRSS, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(m)); err == nil {
			rss[n*roundsPerMonth] = true
		}
	}
	small := *yearMonths <= 0 && *yearRounds <= 0
	if *yearRounds > 0 {
		rounds, every = *yearRounds, max(*yearRounds/10, 1)
	}
	if small {
		sources, rounds, every = 40, 48, 12
		rss = map[int]bool{48: true}
	}
	rss[rounds] = true
	dir := *yearDir
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "year.db")
	sim, err := newYearSim(t, path, sources, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.addSources(t); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d sources, %d rounds, %d workers, fsync %v, %d corpus documents", sources, rounds, *yearWorkers, *yearSync, len(sim.pages.docs))
	t.Logf("%-6s %10s %10s %10s %9s %9s %8s %8s %7s  %s", "round", "fetches", "file", "high-water", "free", "B/fetch", "B/f new", "changes", "s", "largest buckets (MB in pages / in use)")
	var prev yearPoint
	began := time.Now()
	for r := 0; r < rounds; r++ {
		if rss[r] && r > 0 {
			// The child runs round r itself: an unchanged one.
			if sim, err = sim.child(t, r); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := sim.round(t.Context(), r, false); err != nil {
			t.Fatal(err)
		}
		if !small && every >= 10 && (r+1)%(every/10) == 0 && (r+1)%every != 0 {
			t.Logf("%-6d %10d fetches, %.0f s", r+1, sim.fetches.Load(), time.Since(began).Seconds())
		}
		if (r+1)%every == 0 {
			p := sim.measure(t, r+1)
			t.Logf("%-6d %10d %10s %10s %9s %9.1f %8.1f %8d %7.0f  %s", r+1, p.fetches, mb(p.file), mb(p.hwm), mb(p.free),
				float64(p.hwm)/float64(p.fetches), float64(p.hwm-prev.hwm)/float64(p.fetches-prev.fetches), sim.changed.Load(), time.Since(began).Seconds(), p.buckets)
			prev = p
		}
	}
	if _, err := sim.child(t, rounds); err != nil {
		t.Fatal(err)
	}
	t.Logf("changed %d, failed %d, churned headers %d of %d fetches", sim.changed.Load(), sim.failed.Load(), sim.churned.Load(), sim.fetches.Load())
	defer sim.db.Close()
	if small {
		db := sim.db
		if err := db.Check(t.Context()); err != nil {
			t.Fatalf("Check after the simulation: %v", err)
		}
		if rep, err := db.CheckLog(t.Context()); err != nil {
			t.Fatalf("CheckLog after the simulation: %v (%+v)", err, rep)
		}
	}
}

func mb(n int64) string { return fmt.Sprintf("%.1fM", float64(n)/1e6) }

// newYearSim opens path with the simulation's clock; keep keeps corpus
// bodies in memory.
func newYearSim(t *testing.T, path string, sources int, keep bool) (*yearSim, error) {
	pages, err := loadYearPages(filepath.Join("..", "..", "shared", "corpus", "otarchive"), keep, t.Logf)
	if err != nil {
		return nil, err
	}
	s := &yearSim{pages: pages, sources: sources, workers: *yearWorkers, base: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		now: &atomic.Int64{}, changes: make([]int, sources)}
	if err := s.open(path); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *yearSim) open(path string) error {
	db, err := Open(path, Options{Now: func() time.Time { return time.Unix(0, s.now.Load()).UTC() }, Commit: CommitOptions{Writers: s.workers}})
	if err != nil {
		return err
	}
	db.bolt.NoSync = !*yearSync
	s.db = db
	return nil
}

func (s *yearSim) addSources(t *testing.T) error {
	srcs := make([]Source, s.sources)
	for i := range srcs {
		srcs[i] = Source{Name: fmt.Sprintf("site %d", i+1), URL: fmt.Sprintf("https://site%d.example/privacy", i+1), Supplier: fmt.Sprintf("supplier %d", i%97)}
	}
	got, err := s.db.AddSources(t.Context(), srcs)
	if err != nil {
		return err
	}
	if got[0].ID != 1 || got[len(got)-1].ID != uint64(len(got)) {
		return fmt.Errorf("sources numbered %d…%d, not 1…%d", got[0].ID, got[len(got)-1].ID, len(got))
	}
	return nil
}

// yearPoint is the file after some rounds.
type yearPoint struct {
	fetches, file, hwm, free int64
	buckets                  string
}

func (s *yearSim) measure(t *testing.T, rounds int) yearPoint {
	p := yearPoint{fetches: s.fetches.Load()}
	fi, err := os.Stat(s.db.path)
	if err != nil {
		t.Fatal(err)
	}
	p.file = fi.Size()
	type bucket struct {
		name         string
		alloc, inuse int64
	}
	var bs []bucket
	err = s.db.bolt.View(func(tx *bbolt.Tx) error {
		p.hwm = tx.Size()
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			st := b.Stats()
			bs = append(bs, bucket{string(name), int64(st.BranchAlloc + st.LeafAlloc), int64(st.BranchInuse + st.LeafInuse + st.InlineBucketInuse)})
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	p.free = int64(s.db.bolt.Stats().FreePageN) * int64(s.db.bolt.Info().PageSize)
	slices.SortFunc(bs, func(a, b bucket) int { return int(b.alloc - a.alloc) })
	var parts []string
	for _, b := range bs[:min(6, len(bs))] {
		parts = append(parts, fmt.Sprintf("%s %.1f/%.1f", b.name, float64(b.alloc)/1e6, float64(b.inuse)/1e6))
	}
	p.buckets = strings.Join(parts, ", ")
	if want := uint64(p.fetches); s.logSeq() != want {
		t.Fatalf("after %d rounds the fetch log numbers %d fetches, %d were recorded", rounds, s.logSeq(), want)
	}
	return p
}

func (s *yearSim) logSeq() uint64 {
	var n uint64
	s.db.bolt.View(func(tx *bbolt.Tx) error { n = tx.Bucket(bucketFetchLog).Sequence(); return nil })
	return n
}

// yearChildState is what the parent hands the child.
type yearChildState struct {
	Path    string `json:"path"`
	Round   int    `json:"round"`
	Sources int    `json:"sources"`
	// Resumed: the file was left by a run stopped part way through a
	// round (a child run by hand on it), so rounds are not whole.
	Resumed bool `json:"resumed,omitempty"`
	// Pages is each source's page now: its file in the corpus, or its
	// body when it has none (synthetic pages).
	Pages []yearChildPage `json:"pages"`
}

type yearChildPage struct {
	Path string `json:"path,omitempty"`
	Body []byte `json:"body,omitempty"`
}

// child closes the file, has a fresh process run round r on it and
// measure its RSS, and opens the file again.
func (s *yearSim) child(t *testing.T, r int) (*yearSim, error) {
	path := s.db.path
	if err := s.db.Close(); err != nil {
		return nil, err
	}
	cs := yearChildState{Path: path, Round: r, Sources: s.sources}
	for src := uint64(1); src <= uint64(s.sources); src++ {
		pg := s.pageOf(src)
		if pg.path != "" {
			cs.Pages = append(cs.Pages, yearChildPage{Path: pg.path})
		} else {
			cs.Pages = append(cs.Pages, yearChildPage{Body: pg.body})
		}
	}
	state, _ := json.Marshal(cs)
	sf := filepath.Join(filepath.Dir(path), "child.json")
	if err := os.WriteFile(sf, state, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestSimulatedYear$", "-test.v", "-year-workers", strconv.Itoa(s.workers),
		"-year-sync="+strconv.FormatBool(*yearSync), "-year-resident="+strconv.FormatBool(*yearResident))
	cmd.Env = append(os.Environ(), yearChildEnv+"="+sf)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("child at round %d: %w\n%s%s", r, err, out, stderr.Bytes())
	}
	found := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if _, line, ok := strings.Cut(sc.Text(), "YEAR-RSS "); ok {
			t.Logf("fresh process after %d rounds (%.1f months): %s", r, float64(r)/roundsPerMonth, line)
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf("child at round %d printed no figures:\n%s", r, out)
	}
	s.fetches.Add(int64(s.sources))
	if err := s.open(path); err != nil {
		return nil, err
	}
	return s, nil
}

// yearChild is the fresh process: it opens the file, runs an unchanged
// round, reads the feed's first page and one source's history (the
// source page's 100 latest fetches, then all of them), and prints its
// peak RSS (VmHWM) after each step.
func yearChild(t *testing.T, stateFile string) {
	data, err := os.ReadFile(stateFile)
	if err != nil {
		t.Fatal(err)
	}
	var st yearChildState
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("%s: %v", stateFile, err)
	}
	var figures []string
	note := func(step string) {
		hwm, anon, file := procStatus(t)
		figures = append(figures, fmt.Sprintf("%s %.1f MB (anon %.1f, file %.1f)", step, hwm/1024, anon/1024, file/1024))
		if *yearResident {
			r, _ := residentByBucket(st.Path)
			figures = append(figures, "["+r+"]")
		}
	}
	note("start")
	sim := &yearSim{pages: &yearPages{}, sources: st.Sources, workers: *yearWorkers, base: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		now: &atomic.Int64{}, changes: make([]int, st.Sources)}
	for _, p := range st.Pages {
		sim.current = append(sim.current, &yearPage{path: p.Path, body: p.Body})
	}
	sim.now.Store(sim.roundTime(st.Round).UnixNano())
	if err := sim.open(st.Path); err != nil {
		t.Fatal(err)
	}
	defer sim.db.Close()
	note("open")
	if err := sim.round(t.Context(), st.Round, true); err != nil {
		t.Fatal(err)
	}
	note("round")
	changes, _, err := sim.db.ChangePage(t.Context(), ChangeQuery{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	note(fmt.Sprintf("feed(%d)", len(changes)))
	src := uint64(st.Sources/2 + 1)
	recent, err := sim.db.Fetches(t.Context(), src, time.Time{}, time.Time{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	note(fmt.Sprintf("history(%d)", len(recent)))
	all, err := sim.db.Fetches(t.Context(), src, time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	note(fmt.Sprintf("full-history(%d)", len(all)))
	// Then, since the walk it makes takes memory of its own, where the
	// resident file pages are.
	resident, err := residentByBucket(st.Path)
	if err != nil {
		resident = err.Error()
	}
	// Last, since it reads the whole log: every fetch the log holds of
	// the source, counted by a walk of the log, is in its history.
	logged := 0
	sim.db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketFetchLog).ForEach(func(k, v []byte) error {
			if len(v) >= 8 && fromU64(v[:8]) == src {
				logged++
			}
			return nil
		})
	})
	if len(all) != logged || len(all) < st.Round+1 && !st.Resumed {
		t.Fatalf("source %d has %d fetches in its history, %d in the log, after %d rounds", src, len(all), logged, st.Round+1)
	}
	fmt.Printf("YEAR-RSS %s; resident file pages by bucket (MB): %s\n", strings.Join(figures, "; "), resident)
}

// procStatus is this process's peak RSS and its anonymous and
// file-backed RSS now, in KiB, from /proc/self/status.
func procStatus(t *testing.T) (hwm, anon, file float64) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmHWM:":
			hwm = v
		case "RssAnon:":
			anon = v
		case "RssFile:":
			file = v
		}
	}
	return hwm, anon, file
}
