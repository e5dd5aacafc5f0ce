package watch_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

var (
	roundSources = flag.Int("round-sources", 10000, "sources in BenchmarkRound")
	roundWorkers = flag.Int("round-workers", 8, "scheduler workers in BenchmarkRound")
	roundHosts   = flag.Int("round-hosts", 64, "loopback hosts the sources of BenchmarkRound are spread over")
	roundProfile = flag.String("round-cpuprofile", "", "write a CPU profile of BenchmarkRound's unchanged rounds only (not the first round nor the serial baseline) to this file")
)

// BenchmarkRound runs the daemon (Scheduler.Run, real clock for fetches,
// a schedule clock moved on an hour per round) over -round-sources
// sources on a local fixture server spread over -round-hosts loopback
// addresses, as real sources are spread over sites. Half the pages send
// an ETag and answer 304; half send none and come back 200 with the same
// bytes (IMS's 2022 policy, 34 KB), so each round is all "unchanged".
// One op is one full round. It reports:
//
//	ms/round, µs/source        the round's wall time
//	cpu-µs/source              the process's CPU time per check in the
//	                           rounds (the fixture server's included)
//	serial-µs/source           one check at a time, same process (baseline)
//	speedup                    serial-µs/source ÷ µs/source
//	DB-KB/round, B/source      database growth per round (bbolt's size)
//	peak-RSS-MB                the process's peak RSS during the rounds
//	allocs/source,             heap allocations and bytes allocated per
//	alloc-KB/source            check in the rounds (the fixture server's
//	                           included)
//	goroutines-idle, -stopped  above the count before the daemon started:
//	                           between rounds, and after it stopped
func BenchmarkRound(b *testing.B) {
	n, hosts := *roundSources, *roundHosts
	page, err := fs.ReadFile(fixtures.FS(), "pages/ims/2022-05-17.html")
	if err != nil {
		b.Fatal(err)
	}
	sum := sha256.Sum256(page)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/p/"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if i%2 == 0 {
			w.Header().Set("ETag", etag)
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		w.Write(page)
	})
	var servers []*httptest.Server
	for h := range hosts {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.1.%d:0", h+1))
		if err != nil {
			b.Skipf("cannot listen on a second loopback address: %v", err)
		}
		srv := httptest.NewUnstartedServer(handler)
		srv.Listener.Close()
		srv.Listener = l
		srv.Start()
		defer srv.Close()
		servers = append(servers, srv)
	}

	db, err := store.Open(filepath.Join(b.TempDir(), "round.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	srcs := make([]store.Source, n)
	for i := range srcs {
		srcs[i] = store.Source{Name: fmt.Sprintf("s%05d", i), URL: fmt.Sprintf("%s/p/%d", servers[i%hosts].URL, i),
			Supplier: "Supplier", AllowPrivate: true}
	}
	if srcs, err = db.AddSources(ctx, srcs); err != nil {
		b.Fatal(err)
	}

	var offset atomic.Int64 // the schedule's clock runs ahead of the wall clock
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	client := fetch.NewClient(fetch.Options{})
	checker := &watch.Checker{Store: db, Client: client}
	var mu sync.Mutex
	var done int
	var roundDone chan struct{}
	outcomes := map[store.Outcome]int{}
	sched, err := watch.NewScheduler(checker, watch.SchedulerOptions{Default: "@every 1h", MaxJitter: -1, Workers: *roundWorkers,
		Poll: 20 * time.Millisecond, Now: clock, OnResult: func(r watch.Result) {
			mu.Lock()
			defer mu.Unlock()
			if r.Err != nil {
				b.Errorf("%s: %v", r.Source.Name, r.Err)
			}
			outcomes[r.Fetch.Outcome]++
			if done++; done == n {
				close(roundDone)
			}
		}})
	if err != nil {
		b.Fatal(err)
	}
	round := func() time.Duration {
		mu.Lock()
		done, roundDone = 0, make(chan struct{})
		clear(outcomes)
		ch := roundDone
		mu.Unlock()
		start := time.Now()
		<-ch
		return time.Since(start)
	}

	baseGoroutines := runtime.NumGoroutine()
	runCtx, stop := context.WithCancel(ctx)
	stopped := make(chan error)
	mu.Lock()
	roundDone = make(chan struct{})
	first := roundDone
	mu.Unlock()
	go func() { stopped <- sched.Run(runCtx) }()
	<-first // the first round records every source's first version
	if outcomes[store.OutcomeNew] != n {
		b.Fatalf("first round: %v", outcomes)
	}

	// Baseline: the same check, one at a time.
	serialN := min(n, 200)
	start := time.Now()
	for _, s := range srcs[:serialN] {
		if r := checker.Check(ctx, s); r.Err != nil {
			b.Fatal(r.Err)
		}
	}
	serial := time.Since(start) / time.Duration(serialN)

	resetPeakRSS()
	if *roundProfile != "" {
		stopProfile := startCPUProfile(b, *roundProfile)
		defer stopProfile()
	}
	cpuBefore := processCPU()
	var memBefore, memAfter runtime.MemStats
	runtime.ReadMemStats(&memBefore)
	var total time.Duration
	var grew int64
	var idle int
	b.ResetTimer()
	for range b.N {
		before, _ := db.Size(ctx)
		offset.Add(int64(time.Hour))
		total += round()
		after, _ := db.Size(ctx)
		grew += after - before
		if outcomes[store.OutcomeNotModified]+outcomes[store.OutcomeUnchanged] != n || outcomes[store.OutcomeNotModified] != n/2+n%2 {
			b.Fatalf("round outcomes %v, want %d not-modified and the rest unchanged", outcomes, n/2+n%2)
		}
		idle = max(idle, runtime.NumGoroutine()-baseGoroutines)
	}
	b.StopTimer()
	runtime.ReadMemStats(&memAfter)
	cpu := processCPU() - cpuBefore
	peak := peakRSS()
	if *roundProfile != "" {
		pprof.StopCPUProfile() // the deferred stop then only closes the file
	}
	stop()
	if err := <-stopped; err != nil {
		b.Fatal(err)
	}
	client.CloseIdleConnections()
	for _, s := range servers {
		s.CloseClientConnections()
	}
	var after int
	for range 50 { // connection goroutines take a moment to notice the close
		if after = runtime.NumGoroutine() - baseGoroutines; after <= 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	per := total / time.Duration(b.N)
	b.ReportMetric(float64(per.Milliseconds()), "ms/round")
	b.ReportMetric(float64(per.Microseconds())/float64(n), "µs/source")
	b.ReportMetric(float64(serial.Microseconds()), "serial-µs/source")
	b.ReportMetric(float64(serial)/(float64(per)/float64(n)), "speedup")
	b.ReportMetric(float64(grew)/float64(b.N)/1024, "DB-KB/round")
	b.ReportMetric(float64(grew)/float64(b.N)/float64(n), "B/source")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*n), "cpu-µs/source")
	b.ReportMetric(peak, "peak-RSS-MB")
	checks := float64(b.N * n)
	b.ReportMetric(float64(memAfter.Mallocs-memBefore.Mallocs)/checks, "allocs/source")
	b.ReportMetric(float64(memAfter.TotalAlloc-memBefore.TotalAlloc)/checks/1024, "alloc-KB/source")
	b.ReportMetric(float64(idle), "goroutines-idle")
	b.ReportMetric(float64(after), "goroutines-stopped")
	b.ReportMetric(0, "ns/op") // the figures above say it better
}

// startCPUProfile starts a CPU profile into path; the func returned stops
// it and closes the file.
func startCPUProfile(b *testing.B, path string) func() {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.Fatalf("%s: %v (-test.cpuprofile profiles the whole run; use one or the other)", path, err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Error(err)
		}
	}
}

// processCPU is the process's CPU time so far, user and system (the
// fixture server's included: it shares the process).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS clears the kernel's peak-RSS mark (Linux); peakRSS reads it
// in MB (0 where /proc is not there).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func peakRSS() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
