package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clausewatch/clausewatch/jobs"
)

var (
	accSources = flag.Int("acceptance-sources", 1000, "TestPostgresAcceptance: sources on the loopback fixture hosts")
	accKills   = flag.Int("acceptance-kills", 50, "TestPostgresAcceptance: workers killed with SIGKILL (each restarted)")
	accRounds  = flag.Int("acceptance-rounds", 3, "TestPostgresAcceptance: at least this many page versions (rounds); more while kills remain")
	accSeed    = flag.Uint64("acceptance-seed", 0, "TestPostgresAcceptance: seed of the kills and the pages' delays (0: from the clock)")
)

// TestPostgresAcceptance is issue 22's acceptance run: one PostgreSQL,
// one scheduler, three worker processes and two web servers (the real
// binary, each in its own process), --acceptance-sources sources on
// four loopback fixture hosts whose pages change every round, and a
// worker killed with SIGKILL at a random moment --acceptance-kills times
// (restarted each time). Afterwards every page change is recorded exactly
// once, no source was ever fetched by two checks at once (from the
// fixture servers' request log, not from timing), log check passes, and
// both web servers serve the same feed. Behind -long; the seed is
// printed, and --acceptance-seed replays its kills.
func TestPostgresAcceptance(t *testing.T) {
	if !*long {
		t.Skip("minutes: run with -long")
	}
	seed := *accSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -acceptance-seed %d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0x636c6177))
	n := *accSources
	began := time.Now()
	dsn := pgDB(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "log.key")
	site := newChangingSite(t, seed, 4)
	list := filepath.Join(dir, "watchlist.yaml")
	if err := os.WriteFile(list, site.watchlist(n), 0o644); err != nil {
		t.Fatal(err)
	}
	db := []string{"--db", dsn, "--key", key, "--no-browser", "--log", "json"}
	sched := startDaemon(t, append([]string{"serve", "--role", "scheduler", "--watchlist", list, "--allow-private", "--poll", "1s",
		"--schedule", "@every 30s", "--jitter", "10s", "--tz", "UTC"}, db...)...)
	sched.waitFor(t, 1, "scheduling checks as jobs")
	// Workers are given no schedule: they take the schedulers' from the
	// database (decision record 0047).
	workerArgs := append([]string{"worker", "--workers", "4", "--confirm-delay", "1ns", "--job-timeout", "20s", "--job-rescue-after", "25s"}, db...)
	var workers []*daemon
	for range 3 {
		workers = append(workers, startDaemon(t, workerArgs...))
	}
	var webs []*daemon
	for range 2 {
		webs = append(webs, startDaemon(t, append([]string{"serve", "--web-only", "--open-read", "--base-url", "http://clausewatch.test"}, db...)...))
	}
	all := func() []*daemon { return append(append([]*daemon{sched}, workers...), webs...) }
	pool, err := jobs.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	// Rounds: when every source has recorded round r's page, the pages
	// change. Meanwhile a worker is killed at random moments.
	kills, round := 0, 0
	nextKill := time.Now().Add(killGap(rng))
	progress, lastProgress := -1, time.Now()
	for {
		var done int
		if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM (SELECT source FROM versions GROUP BY source HAVING count(*) > $1) x`, round).Scan(&done); err != nil {
			t.Fatal(err)
		}
		if done != progress {
			progress, lastProgress = done, time.Now()
		}
		if done == n {
			t.Logf("round %d recorded by every source after %v (%d kills so far)", round, time.Since(began).Round(time.Second), kills)
			if kills >= *accKills && round+1 >= *accRounds {
				break
			}
			round++
			site.round.Store(int64(round))
			progress = -1
			continue
		}
		if time.Since(lastProgress) > 4*time.Minute { // a safety net, not a speed check
			for _, d := range all() {
				t.Log(d.log())
			}
			t.Fatalf("round %d: %d of %d sources recorded, no progress for 4 minutes", round, done, n)
		}
		// The kills are spread over the rounds: new pages, changed ones.
		if kills < *accKills*(round+1)/max(*accRounds, 1) && time.Now().After(nextKill) {
			i := rng.IntN(len(workers))
			if workers[i].count("working check jobs") > 0 {
				if _, err := workers[i].stop(t, syscall.SIGKILL); err == nil {
					t.Fatalf("worker %d exited cleanly after SIGKILL", i)
				}
				workers[i] = startDaemon(t, workerArgs...)
				kills++
			}
			nextKill = time.Now().Add(killGap(rng))
		}
		time.Sleep(100 * time.Millisecond)
	}
	ran := time.Since(began)
	for _, d := range append([]*daemon{sched}, workers...) {
		if _, err := d.stop(t, syscall.SIGTERM); err != nil {
			t.Errorf("stop: %v\n%s", err, d.log())
		}
	}
	rounds := round + 1
	checkRecordedOnce(t, pool, n, rounds)
	requests, byRound, overlaps := site.report()
	for _, o := range overlaps {
		t.Errorf("a source fetched by two checks at once: %s", o)
	}
	var retried, jobsDone int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE attempt > 1), count(*) FILTER (WHERE state = 'completed') FROM river_job`).Scan(&retried, &jobsDone); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, "", "log", "check", "--db", dsn, "--key", key)
	if code != 0 || !strings.Contains(out, "ok: every fetch record is in the log") {
		t.Errorf("log check: exit %d\n%s%s", code, out, errOut)
	}
	sameFeed(t, webs, n*(rounds-1))
	t.Logf("%d sources, %d rounds, %d kills in %v: %d page requests (by round %v), %d check jobs completed, %d jobs run more than once; %s",
		n, rounds, kills, ran.Round(time.Second), requests, byRound, jobsDone, retried, strings.TrimSpace(out))
}

// killGap is the wait before the next kill: 0.3 to 3 seconds.
func killGap(rng *rand.Rand) time.Duration {
	return 300*time.Millisecond + time.Duration(rng.Int64N(int64(2700*time.Millisecond)))
}

// checkRecordedOnce: every source has one version per round and one
// change per page change, no more.
func checkRecordedOnce(t *testing.T, pool *pgxpool.Pool, n, rounds int) {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT s.name, (SELECT count(*) FROM versions v WHERE v.source = s.id),
		(SELECT count(*) FROM changes c WHERE c.source = s.id) FROM sources s ORDER BY s.name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen, bad := 0, 0
	for rows.Next() {
		var name string
		var versions, changes int
		if err := rows.Scan(&name, &versions, &changes); err != nil {
			t.Fatal(err)
		}
		seen++
		if versions != rounds || changes != rounds-1 {
			if bad++; bad <= 20 {
				t.Errorf("source %s: %d versions and %d changes, want %d and %d (each page version and change recorded once)", name, versions, changes, rounds, rounds-1)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != n || bad > 0 {
		t.Errorf("%d sources stored (want %d), %d recorded wrongly", seen, n, bad)
	}
}

// sameFeed: both web servers serve the same sources table, JSON feed and
// every page of the changes API, with want changes in it.
func sameFeed(t *testing.T, webs []*daemon, want int) {
	t.Helper()
	var got [2]string
	for i, d := range webs {
		d.waitFor(t, 1, `"msg":"web server listening"`)
		m := regexp.MustCompile(`"url":"(http://[^"]+)/"`).FindStringSubmatch(d.log())
		if m == nil {
			t.Fatalf("no URL in the web server's log:\n%s", d.log())
		}
		var b strings.Builder
		b.WriteString(httpGet(t, m[1]+"/sources.csv"))
		b.WriteString(httpGet(t, m[1]+"/feed.json"))
		changes := 0
		for next := "/api/changes"; next != ""; {
			var page struct {
				Changes []json.RawMessage `json:"changes"`
				Next    string            `json:"next"`
			}
			body := httpGet(t, m[1]+next+sep(next)+"limit=500")
			if err := json.Unmarshal([]byte(body), &page); err != nil {
				t.Fatalf("GET %s: %v", next, err)
			}
			b.WriteString(body)
			changes += len(page.Changes)
			next = page.Next
		}
		if changes != want {
			t.Errorf("web server %d: %d changes in the API, want %d", i, changes, want)
		}
		got[i] = b.String()
	}
	if got[0] != got[1] {
		t.Errorf("the two web servers serve different feeds (%d and %d bytes)", len(got[0]), len(got[1]))
	}
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v\n%.500s", url, resp.StatusCode, err, body)
	}
	return string(body)
}

// changingSite serves source i's policy page at /p/<i> on several
// loopback hosts; the page's text changes with round. Every request is
// logged as two events of one counter (its start and its end), so that
// two requests for one source in flight at once show in the log
// whatever the clock says.
type changingSite struct {
	round atomic.Int64
	seed  uint64
	bases []string
	clock atomic.Int64 // the event counter
	mu    sync.Mutex
	log   map[int][][2]int64 // source → [start, end] events, by start
	// byRound counts the requests served each round.
	byRound []int
}

func newChangingSite(t *testing.T, seed uint64, hosts int) *changingSite {
	t.Helper()
	s := &changingSite{seed: seed, log: map[int][][2]int64{}}
	for h := range hosts {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", h+1))
		if err != nil {
			t.Skipf("cannot listen on 127.0.0.%d: %v", h+1, err)
		}
		srv := &http.Server{Handler: s}
		go srv.Serve(l)
		t.Cleanup(func() { srv.Close() })
		s.bases = append(s.bases, "http://"+l.Addr().String())
	}
	return s
}

func (s *changingSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var i int
	if _, err := fmt.Sscanf(r.URL.Path, "/p/%d", &i); err != nil {
		http.NotFound(w, r)
		return
	}
	start := s.clock.Add(1)
	round := int(s.round.Load())
	s.mu.Lock()
	nth := len(s.log[i])
	s.log[i] = append(s.log[i], [2]int64{start, 0})
	for len(s.byRound) <= round {
		s.byRound = append(s.byRound, 0)
	}
	s.byRound[round]++
	s.mu.Unlock()
	// A few milliseconds' wait, the same for a seed: a window in which a
	// second check of the source would overlap this one.
	h := fnv.New64a()
	fmt.Fprint(h, s.seed, i, nth)
	time.Sleep(time.Duration(h.Sum64()%20) * time.Millisecond)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, policyPage(i, round))
	end := s.clock.Add(1)
	s.mu.Lock()
	s.log[i][nth][1] = end
	s.mu.Unlock()
}

// watchlist declares n sources spread over the hosts.
func (s *changingSite) watchlist(n int) []byte {
	var b strings.Builder
	b.WriteString("sources:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: s%04d\n    url: %s/p/%d\n    supplier: Supplier %d\n", i, s.bases[i%len(s.bases)], i, i%10)
	}
	return []byte(b.String())
}

// report counts the requests and lists every pair of requests for one
// source that were in flight at once.
func (s *changingSite) report() (requests int, byRound []int, overlaps []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	byRound = append([]int(nil), s.byRound...)
	for i, reqs := range s.log {
		requests += len(reqs)
		for k := 1; k < len(reqs); k++ {
			if reqs[k-1][1] == 0 || reqs[k][0] < reqs[k-1][1] {
				overlaps = append(overlaps, fmt.Sprintf("source s%04d: request %d began (event %d) before request %d ended (event %d)", i, k, reqs[k][0], k-1, reqs[k-1][1]))
			}
		}
	}
	return requests, byRound, overlaps
}

// policyPage is source i's policy as of round: the retention period
// changes every round.
func policyPage(i, round int) string {
	return fmt.Sprintf(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Privacy Policy – Supplier %04d</title></head><body><main>
<h1>Privacy Policy</h1>
<p>This policy explains how Supplier %04d handles the personal data of students and teachers who use our service.</p>
<h2>Data we collect</h2>
<p>We collect the name, school e-mail address and class roster of each user, and the work they submit.</p>
<h2>How long we keep it</h2>
<p>We keep student records for %d days after the end of the school's contract, then delete them.</p>
<h2>Contact</h2>
<p>Write to privacy@supplier%04d.example with any question about this policy.</p>
</main></body></html>`, i, i, 30+round, i)
}
