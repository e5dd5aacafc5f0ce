package jobs

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store/pgstore/pgtest"
)

// TestExclusive: two processes' worth of callers (each its own pool)
// contend for one key: fn never runs in both at once, and when the
// holder stops the other takes over.
func TestExclusive(t *testing.T) {
	w := &world{dsn: pgtest.DB(t)}
	var mu sync.Mutex
	active, most := 0, 0
	ran := map[int]bool{}
	started := make(chan int, 2)
	fn := func(i int) func(context.Context) {
		return func(ctx context.Context) {
			mu.Lock()
			active++
			most = max(most, active)
			ran[i] = true
			mu.Unlock()
			started <- i
			<-ctx.Done()
			mu.Lock()
			active--
			mu.Unlock()
		}
	}
	ctxs := make([]context.CancelFunc, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		ctx, cancel := context.WithCancel(t.Context())
		ctxs[i] = cancel
		pool := w.pool(t)
		wg.Go(func() { Exclusive(ctx, pool, 42, 20*time.Millisecond, nil, fn(i)) })
	}
	var first int
	select {
	case first = <-started:
	case <-time.After(deadline):
		t.Fatal("neither caller ran")
	}
	ctxs[first]()
	select {
	case second := <-started:
		if second == first {
			t.Errorf("caller %d ran again after it was stopped", first)
		}
	case <-time.After(deadline):
		t.Fatal("the second caller never took over")
	}
	ctxs[1-first]()
	wg.Wait()
	if most != 1 || len(ran) != 2 {
		t.Errorf("at most %d ran at once (want 1); ran %v", most, ran)
	}
}
