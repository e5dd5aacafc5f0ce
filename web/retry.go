package web

import (
	"context"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

// backoff is the retry schedule webhook and e-mail deliveries share: the
// waits before each retry; after the last, a delivery is given up.
type backoff []time.Duration

// defaultBackoff is 30s, 2m, 10m, 1h, 6h, 24h: seven attempts over about
// a day and a half.
func defaultBackoff() backoff {
	return backoff{30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour}
}

// due says what to do with a delivery in state, next tried at next:
// finished (delivered or failed, nothing to do), wait until next, or try
// now.
func due(state string, next, now time.Time) (wait time.Duration, try, finished bool) {
	switch {
	case state != store.DeliveryPending:
		return 0, false, true
	case next.After(now):
		return next.Sub(now), false, false
	}
	return 0, true, false
}

// settle is the state after attempt number attempts, made at last, ended
// with err: delivered; failed when the failure is permanent or the
// schedule is spent; otherwise pending until next.
func (b backoff) settle(attempts int, last time.Time, err error, permanent bool) (state string, next time.Time) {
	switch {
	case err == nil:
		return store.DeliveryDelivered, time.Time{}
	case permanent || attempts > len(b):
		return store.DeliveryFailed, time.Time{}
	}
	return store.DeliveryPending, last.Add(b[attempts-1])
}

// runLoop calls pass until ctx is done: at once, then when woken or when
// the wait pass returned (at most poll) has passed.
func runLoop(ctx context.Context, wake <-chan struct{}, poll time.Duration, pass func(context.Context) time.Duration) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
		wait := pass(ctx)
		t.Reset(min(wait, poll))
	}
}

// notify wakes a loop without blocking.
func notify(wake chan<- struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}
