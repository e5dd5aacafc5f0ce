package watch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

// CheckSlot checks a source for one slot of its schedule, as Run does
// when that slot falls due, for a worker that takes due checks from a job
// queue instead of its own loop (decision record 0040). The next slot is
// written with the check's record, in its transaction.
//
// It does nothing (ran false, no error) when the source's stored due
// time is no longer slot: the slot was checked already, or the source
// was paused or removed. A check cut short by ctx leaves the slot due
// and returns an error, so that the job is tried again, as does a
// source this process is checking already (ErrBusy). A check that needs
// the browser of another worker (Checker.RenderElsewhere) leaves the slot
// due and returns ErrRenderElsewhere.
func (s *Scheduler) CheckSlot(ctx context.Context, sourceID uint64, slot time.Time) (res Result, ran bool, err error) {
	due, err := s.db.DueOf(ctx, sourceID)
	if errors.Is(err, store.ErrNotFound) {
		return Result{}, false, nil
	}
	if err != nil {
		return Result{}, false, fmt.Errorf("check of source %d: %w", sourceID, err)
	}
	if !due.Slot.Equal(slot) {
		return Result{}, false, nil
	}
	if !s.claim(sourceID) {
		return Result{}, false, fmt.Errorf("check of source %d: %w", sourceID, ErrBusy)
	}
	defer s.release(sourceID)
	res, done := s.run(ctx, due)
	if errors.Is(res.Err, ErrRenderElsewhere) {
		// Nothing was recorded: no result to observe.
		return res, false, fmt.Errorf("check of source %d: %w", sourceID, ErrRenderElsewhere)
	}
	if s.opts.OnResult != nil {
		s.resultMu.Lock()
		s.opts.OnResult(res)
		s.resultMu.Unlock()
	}
	if !done {
		return res, true, fmt.Errorf("check of source %d interrupted, still due: %w", sourceID, errors.Join(ctx.Err(), res.Err))
	}
	return res, true, nil
}
