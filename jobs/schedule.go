package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// Enqueue inserts a check job for every slot due by `by`, to run at its
// due time. Slots already enqueued (by this or another scheduler) are
// skipped by River's unique insert; it returns how many jobs were new.
func Enqueue(ctx context.Context, client *river.Client[pgx.Tx], db store.Schedule, by time.Time) (int, error) {
	dues, err := db.DueBy(ctx, by, 0)
	if err != nil {
		return 0, fmt.Errorf("jobs: due checks: %w", err)
	}
	if len(dues) == 0 {
		return 0, nil
	}
	params := make([]river.InsertManyParams, len(dues))
	now := time.Now()
	for i, d := range dues {
		opts := Check{}.InsertOpts()
		if d.At.After(now) {
			opts.ScheduledAt = d.At // else available at once
		}
		params[i] = river.InsertManyParams{Args: Check{Source: d.SourceID, Slot: d.Slot.UnixNano()}, InsertOpts: &opts}
	}
	res, err := client.InsertMany(ctx, params)
	if err != nil {
		return 0, fmt.Errorf("jobs: enqueue %d due checks: %w", len(params), err)
	}
	n := 0
	for _, r := range res {
		if !r.UniqueSkippedAsDuplicate {
			n++
		}
	}
	return n, nil
}

// Scheduler is the scheduling side of serve on PostgreSQL: it keeps the
// stored due times in line with the sources (watch.Scheduler.Sync) and
// enqueues the checks that fall due. Several may run at once (on several
// machines): each slot is still one job.
type Scheduler struct {
	Client *river.Client[pgx.Tx]
	// Watch syncs the schedule with the sources (its checker is not used
	// here).
	Watch *watch.Scheduler
	DB    store.Schedule
	// Poll is how often it looks; checks due within the next Poll are
	// enqueued to run at their time. Default 1 minute.
	Poll   time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// Run syncs and enqueues every Poll until ctx is done; Wake makes it look
// at once.
func (s *Scheduler) Run(ctx context.Context, wake <-chan struct{}) error {
	poll, now, log := s.Poll, s.Now, s.Logger
	if poll <= 0 {
		poll = time.Minute
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for {
		if _, err := s.Watch.Sync(ctx); err != nil && ctx.Err() == nil {
			log.ErrorContext(ctx, "sync schedule", "err", err)
		}
		n, err := Enqueue(ctx, s.Client, s.DB, now().Add(poll))
		switch {
		case err != nil && ctx.Err() == nil:
			log.ErrorContext(ctx, "enqueue due checks", "err", err)
		case n > 0:
			log.InfoContext(ctx, "checks enqueued", "jobs", n)
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}
