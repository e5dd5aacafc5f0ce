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

// DB is what the scheduler reads: the due slots, and the sources with
// their state to tell which need a browser.
type DB interface {
	store.Schedule
	SourcesByID(ctx context.Context, ids []uint64) (map[uint64]store.Source, error)
	StatesByID(ctx context.Context, ids []uint64) (map[uint64]store.State, error)
}

// Enqueue inserts a check job for every slot due by `by`, to run at its
// due time: in RenderQueue for a source that needs a browser
// (watch.BrowserStatusOf), else in Queue. Slots already enqueued (by
// this or another scheduler) are skipped by River's unique insert; it
// returns how many jobs were new.
func Enqueue(ctx context.Context, client *river.Client[pgx.Tx], db DB, by time.Time) (int, error) {
	dues, err := db.DueBy(ctx, by, 0)
	if err != nil {
		return 0, fmt.Errorf("jobs: due checks: %w", err)
	}
	if len(dues) == 0 {
		return 0, nil
	}
	render, err := needBrowser(ctx, db, dues)
	if err != nil {
		return 0, err
	}
	params := make([]river.InsertManyParams, len(dues))
	now := time.Now()
	for i, d := range dues {
		args := Check{Source: d.SourceID, Slot: d.Slot.UnixNano(), Render: render[d.SourceID]}
		opts := args.InsertOpts()
		if d.At.After(now) {
			opts.ScheduledAt = d.At // else available at once
		}
		params[i] = river.InsertManyParams{Args: args, InsertOpts: &opts}
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

// needBrowser is the set of the due sources that need a browser. Only a
// source rendered on its own setting or found to need it has state worth
// reading: a source set to never render, or gone, is checked plainly.
// The states of the auto sources are read in one query, whatever their
// number.
func needBrowser(ctx context.Context, db DB, dues []store.Due) (map[uint64]bool, error) {
	ids := make([]uint64, len(dues))
	for i, d := range dues {
		ids[i] = d.SourceID
	}
	srcs, err := db.SourcesByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("jobs: due sources: %w", err)
	}
	var auto []uint64
	for id, src := range srcs {
		if src.Render != store.RenderAlways && src.Render != store.RenderNever {
			auto = append(auto, id)
		}
	}
	var states map[uint64]store.State
	if len(auto) > 0 {
		if states, err = db.StatesByID(ctx, auto); err != nil {
			return nil, fmt.Errorf("jobs: states of the due sources: %w", err)
		}
	}
	need := make(map[uint64]bool, len(srcs))
	for id, src := range srcs {
		need[id] = watch.BrowserStatusOf(src, states[id]).Needs // no state: the zero one, as before
	}
	return need, nil
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
	DB    DB
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
