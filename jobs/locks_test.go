package jobs_test

import (
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/jobs"
	"github.com/clausewatch/clausewatch/store/pgstore/pgtest"
)

// TestSourceLocks: a source's lock is held by one holder at a time (the
// second waits, as pg_locks shows, and is told so; TryLock does not
// wait), other sources are
// free, and a holder whose process ends (its pool closed, as a killed
// worker's connections are) releases it.
func TestSourceLocks(t *testing.T) {
	dsn := pgtest.DB(t)
	ctx := t.Context()
	a, err := jobs.NewSourceLocks(ctx, dsn, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := jobs.NewSourceLocks(ctx, dsn, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	waiters := func() int {
		t.Helper()
		pool, err := jobs.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	releaseA, err := a.Lock(ctx, 7, func() { t.Error("the first holder was told to wait") })
	if err != nil {
		t.Fatal(err)
	}
	releaseOther, err := b.Lock(ctx, 8, func() { t.Error("another source's lock was busy") })
	if err != nil {
		t.Fatal(err)
	}
	releaseOther()
	if r, ok, err := b.TryLock(ctx, 7); err != nil || ok || r != nil {
		t.Fatalf("TryLock of a held source: ok %v, %v", ok, err)
	}
	busy := make(chan struct{})
	got := make(chan func(), 1)
	go func() {
		r, err := b.Lock(ctx, 7, func() { close(busy) })
		if err != nil {
			t.Error(err)
			r = func() {}
		}
		got <- r
	}()
	<-busy
	for end := time.Now().Add(time.Minute); waiters() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the second holder never waited on the lock")
		}
	}
	select {
	case <-got:
		t.Fatal("the lock was held twice")
	default:
	}
	releaseA()
	(<-got)()
	if r, ok, err := b.TryLock(ctx, 7); err != nil || !ok {
		t.Fatalf("TryLock of a free source: ok %v, %v", ok, err)
	} else {
		r()
	}

	// A holder whose session ends (its process killed) releases the lock:
	// its backend is terminated here, as the server ends a killed
	// process's sessions.
	c, err := jobs.NewSourceLocks(ctx, dsn, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	releaseC, err := c.Lock(ctx, 9, nil)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := jobs.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var ended bool
	if err := pool.QueryRow(ctx, "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = 9 AND granted").Scan(&ended); err != nil || !ended {
		t.Fatalf("terminate the holder: %v %v", ended, err)
	}
	release, err := a.Lock(ctx, 9, func() {})
	if err != nil {
		t.Fatal(err)
	}
	release()
	releaseC() // its session is gone: the connection is closed, not reused
}
