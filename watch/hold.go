package watch

import (
	"context"
	"sync"
	"time"
)

// holdPoll is how often Hold looks again while the source is being
// checked.
const holdPoll = 50 * time.Millisecond

// Hold keeps the scheduler (and CheckNow) off a source until release is
// called: for a check or a rebuild that someone else runs on the
// scheduler's store, such as a CLI command the daemon runs for a client.
// While the source is being checked, Hold waits for the check to end, or
// until ctx is done. release may be called more than once.
func (s *Scheduler) Hold(ctx context.Context, id uint64) (release func(), err error) {
	if !s.claim(id) {
		t := time.NewTicker(holdPoll)
		defer t.Stop()
		for !s.claim(id) {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-t.C:
			}
		}
	}
	return sync.OnceFunc(func() {
		s.release(id)
		select { // it may have fallen due meanwhile
		case s.wake <- struct{}{}:
		default:
		}
	}), nil
}
