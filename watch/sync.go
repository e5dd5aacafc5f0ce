package watch

import (
	"context"
	"fmt"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

// SyncReport says what Sync changed.
type SyncReport struct {
	// Scheduled sources had no due time (new, or unpaused) and are due now.
	Scheduled int
	// Rescheduled sources' spec or zone changed; their next slot was
	// computed again.
	Rescheduled int
	// Unscheduled sources are paused and came off the schedule.
	Unscheduled int
	// Errors are sources whose spec no longer parses (they run on the
	// default).
	Errors []error
	// Skipped sources were being checked and were left alone.
	Skipped int
}

// Sync brings the stored schedule in line with the sources: a source
// without a due time is due now, a changed spec takes effect from its
// next slot (an overdue source stays overdue), a paused source comes off.
func (s *Scheduler) Sync(ctx context.Context) (SyncReport, error) {
	var rep SyncReport
	if s.opts.Urgent != nil {
		ids, err := s.opts.Urgent(ctx)
		if err != nil {
			return rep, fmt.Errorf("sync schedule: sources with an open deadline: %w", err)
		}
		s.mu.Lock()
		s.urgentIDs = ids
		s.mu.Unlock()
	}
	srcs, err := s.db.Sources(ctx)
	if err != nil {
		return rep, fmt.Errorf("sync schedule: %w", err)
	}
	dues, err := s.db.Dues(ctx)
	if err != nil {
		return rep, fmt.Errorf("sync schedule: %w", err)
	}
	have := make(map[uint64]store.Due, len(dues))
	for _, d := range dues {
		have[d.SourceID] = d
	}
	now := s.opts.Now()
	var put []store.Due
	for _, src := range srcs {
		d, ok := have[src.ID]
		if s.isRunning(src.ID) {
			// Its check will write its next due time; changing it now
			// would race with that. The caller syncs again later.
			rep.Skipped++
			continue
		}
		if src.Paused {
			if ok {
				if err := s.db.DeleteDue(ctx, src.ID); err != nil {
					return rep, fmt.Errorf("sync schedule: %w", err)
				}
				rep.Unscheduled++
			}
			continue
		}
		sched, err := s.scheduleOf(src)
		if err != nil {
			rep.Errors = append(rep.Errors, err)
			s.opts.Logger.WarnContext(ctx, "bad schedule", "source", src.Name, "err", err)
		}
		zone := sched.Location.String()
		switch {
		case !ok:
			put = append(put, store.Due{SourceID: src.ID, Schedule: sched.Spec, Zone: zone, Slot: now, At: now})
			rep.Scheduled++
		case d.Schedule != sched.Spec || d.Zone != zone:
			next := s.slotAfter(src, sched, time.Time{}, now)
			if !d.At.After(now) {
				next.Slot, next.At = d.Slot, d.At // overdue: still runs now
			}
			next.LastStart, next.LastEnd = d.LastStart, d.LastEnd
			put = append(put, next)
			rep.Rescheduled++
		}
	}
	for len(put) > 0 {
		n := min(len(put), 1000)
		if err := s.db.SetDues(ctx, put[:n]); err != nil {
			return rep, fmt.Errorf("sync schedule: %w", err)
		}
		put = put[n:]
	}
	return rep, nil
}

// Resync asks a running scheduler to read the sources again (after a
// watchlist reload or a source was added). It does not block.
func (s *Scheduler) Resync() {
	select {
	case s.resync <- struct{}{}:
	default:
	}
}
