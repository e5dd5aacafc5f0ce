package jobs

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkRound times one round of 200 due sources on the loopback
// site, enqueued at once, with 1, 2 and 4 worker clients (4 checks at
// once each; each its own pool and store handle, as separate processes
// would have). Run with -benchtime 1x: one round per figure.
func BenchmarkRound(b *testing.B) {
	const n = 200
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				w := newWorld(b, n)
				pool := w.pool(b)
				enq, err := NewClient(pool, Options{})
				if err != nil {
					b.Fatal(err)
				}
				db := w.store(b)
				for range workers {
					w.worker(b, 4)
				}
				b.StartTimer()
				start := time.Now()
				if _, err := Enqueue(b.Context(), enq, db, time.Now()); err != nil {
					b.Fatal(err)
				}
				waitCompleted(b, pool, n)
				b.ReportMetric(float64(time.Since(start).Milliseconds())/n, "ms/check")
			}
		})
	}
}
