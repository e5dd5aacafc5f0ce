package main

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/clausewatch/clausewatch/jobs"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// checkAllLocked is watch.Checker.CheckAll on PostgreSQL: each source is
// checked under its advisory lock, the one the workers take around their
// jobs (jobs.SourceLocks, decision record 0047), so that the CLI's check
// of a source waits for a worker's check of it to end instead of racing
// it. A source a worker holds is named on stderr while the command waits.
func checkAllLocked(ctx context.Context, dsn string, checker *watch.Checker, srcs []store.Source, workers int, stderr io.Writer, progress func(watch.Result)) ([]watch.Result, error) {
	workers = max(1, min(workers, len(srcs)))
	locks, err := jobs.NewSourceLocks(ctx, dsn, workers)
	if err != nil {
		return nil, err
	}
	defer locks.Close()
	results := make([]watch.Result, len(srcs))
	next := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				src := srcs[i]
				release, err := locks.Lock(ctx, src.ID, func() {
					mu.Lock()
					fmt.Fprintf(stderr, "%s: a worker is checking it; waiting for its check to end\n", termSafe(src.Name))
					mu.Unlock()
				})
				var r watch.Result
				if err != nil {
					r = watch.Result{Source: src, Err: err}
				} else {
					r = checker.Check(ctx, src)
					release()
				}
				results[i] = r
				mu.Lock()
				progress(r)
				mu.Unlock()
			}
		})
	}
	for i := range srcs {
		select {
		case next <- i:
			continue
		case <-ctx.Done():
		}
		for j := i; j < len(srcs); j++ {
			results[j] = watch.Result{Source: srcs[j], Err: ctx.Err()}
		}
		break
	}
	close(next)
	wg.Wait()
	return results, nil
}

// lockedScheduler is the web server's scheduler on PostgreSQL: a check
// now (a supplier's capture on demand) and a check soon take the
// source's lock, as workers do, so that neither races a worker's check
// of the source. A check now finds a source a worker holds busy
// (watch.ErrBusy, as on a file); a check soon waits for the worker's
// check, then makes the source due.
type lockedScheduler struct {
	*watch.Scheduler
	locks *jobs.SourceLocks
}

func (l lockedScheduler) CheckNow(ctx context.Context, sourceID uint64) (watch.Result, error) {
	release, ok, err := l.locks.TryLock(ctx, sourceID)
	if err != nil {
		return watch.Result{}, err
	}
	if !ok {
		return watch.Result{}, watch.ErrBusy
	}
	defer release()
	return l.Scheduler.CheckNow(ctx, sourceID)
}

func (l lockedScheduler) CheckSoon(ctx context.Context, sourceID uint64) error {
	release, err := l.locks.Lock(ctx, sourceID, nil)
	if err != nil {
		return err
	}
	defer release()
	return l.Scheduler.CheckSoon(ctx, sourceID)
}
