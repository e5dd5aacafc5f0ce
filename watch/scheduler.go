package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

// SchedulerOptions configures a Scheduler. Zero values take the defaults.
type SchedulerOptions struct {
	// Default is the cron spec for sources without their own. Default
	// "@daily".
	Default string
	// Location is the zone specs are read in (a spec's own CRON_TZ=
	// wins). Default time.Local.
	Location *time.Location
	// Workers is how many checks run at once. Default 4.
	Workers int
	// MaxJitter bounds each source's fixed offset from its slots (never
	// more than a quarter of the gap between slots). Default 30m;
	// negative means none.
	MaxJitter time.Duration
	// Grace is how long in-flight checks may go on after shutdown starts
	// before they are cancelled. Default 30s.
	Grace time.Duration
	// Poll is the longest the scheduler sleeps before it looks at the
	// queue again, so a wall-clock jump (machine sleep, clock set
	// forward) is noticed within it. Default 1m.
	Poll time.Duration
	// Logger receives one line per check and per change. Default: none.
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// OnResult, when set, is called after every check, one at a time.
	OnResult func(Result)
	// OnRound, when set, is called by Run when a round ends: the checks
	// run from the moment work fell due after an idle spell until nothing
	// was running or due again.
	OnRound func(Round)
	// Urgent, when set, names the sources to check on UrgentSpec instead
	// of their own schedule (a supplier's update window is open). Sync
	// asks it each time; a source whose own schedule is faster keeps it.
	Urgent func(context.Context) (map[uint64]bool, error)
	// UrgentSpec is the faster schedule. Default "@every 1h".
	UrgentSpec string
}

// Scheduler runs each source's checks when they are due. When a source is
// next due lives in the store, not in memory: a daemon that was down runs
// every overdue source once on start (not once per missed slot), and a
// check interrupted by a crash or shutdown is due again on restart
// because its due time is advanced only after the check finishes.
type Scheduler struct {
	checker *Checker
	db      store.Store
	opts    SchedulerOptions
	def     Schedule
	urgent  Schedule
	// urgentIDs are the sources on the urgent schedule since the last
	// Sync.
	urgentIDs map[uint64]bool
	// resultMu serialises OnResult calls from Run and CheckNow.
	resultMu sync.Mutex
	// wake asks the loop to look at the queue now; resync asks it to
	// read the sources again first.
	wake, resync chan struct{}
	// mu guards running: the sources being checked, so no source ever
	// has two checks at once; and again: the running ones asked for by
	// CheckSoon meanwhile, due again as soon as their check ends.
	mu      sync.Mutex
	running map[uint64]bool
	again   map[uint64]bool
}

// Round is a busy spell of Run: from the first check after an idle spell
// to the moment nothing is running or due.
type Round struct {
	Start, End time.Time
	Checks     int
}

// NewScheduler returns a scheduler for c's store. It fails if the default
// spec does not parse.
func NewScheduler(c *Checker, opts SchedulerOptions) (*Scheduler, error) {
	if opts.Default == "" {
		opts.Default = "@daily"
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.MaxJitter == 0 {
		opts.MaxJitter = 30 * time.Minute
	}
	if opts.Grace <= 0 {
		opts.Grace = 30 * time.Second
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	def, err := NewSchedule(opts.Default, opts.Location)
	if err != nil {
		return nil, fmt.Errorf("default %w", err)
	}
	if opts.UrgentSpec == "" {
		opts.UrgentSpec = "@every 1h"
	}
	urgent, err := NewSchedule(opts.UrgentSpec, opts.Location)
	if err != nil {
		return nil, fmt.Errorf("urgent %w", err)
	}
	return &Scheduler{checker: c, db: c.Store, opts: opts, def: def, urgent: urgent,
		wake: make(chan struct{}, 1), resync: make(chan struct{}, 1), running: map[uint64]bool{}, again: map[uint64]bool{}}, nil
}

// scheduleOf is a source's schedule: its own spec, or the default. A spec
// that no longer parses (written by an older build) falls back to the
// default, with the error.
func (s *Scheduler) scheduleOf(src store.Source) (Schedule, error) {
	sched, err := s.ownSchedule(src)
	s.mu.Lock()
	urgent := s.urgentIDs[src.ID]
	s.mu.Unlock()
	if urgent && s.urgent.Gap(s.urgent.Next(time.Time{}, s.opts.Now())) < sched.Gap(sched.Next(time.Time{}, s.opts.Now())) {
		return s.urgent, err
	}
	return sched, err
}

func (s *Scheduler) ownSchedule(src store.Source) (Schedule, error) {
	if src.Schedule == "" {
		return s.def, nil
	}
	sched, err := NewSchedule(src.Schedule, s.opts.Location)
	if err != nil {
		return s.def, fmt.Errorf("source %s: %w; using the default %q", src.Name, err, s.def.Spec)
	}
	return sched, nil
}

// slotAfter is the due record for the slot after last, as of now.
func (s *Scheduler) slotAfter(src store.Source, sched Schedule, last, now time.Time) store.Due {
	slot := sched.Next(last, now)
	jitter := time.Duration(0)
	if s.opts.MaxJitter > 0 {
		jitter = Jitter(src.URL, s.opts.MaxJitter, sched.Gap(slot))
	}
	return store.Due{SourceID: src.ID, Schedule: sched.Spec, Zone: sched.Location.String(), Slot: slot, At: slot.Add(jitter)}
}

// CheckSoon makes a source due now and wakes the scheduler: a check on
// demand that still never overlaps a running one. Asked while the source
// is being checked, it makes the source due again once that check ends
// (the check's record would otherwise write its next slot over this one).
func (s *Scheduler) CheckSoon(ctx context.Context, sourceID uint64) error {
	s.mu.Lock()
	if s.running[sourceID] {
		s.again[sourceID] = true
	}
	s.mu.Unlock()
	if err := s.dueNow(ctx, sourceID); err != nil {
		return err
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// dueNow makes a source's slot now: the next regular slot after the check
// is the one that was coming anyway.
func (s *Scheduler) dueNow(ctx context.Context, sourceID uint64) error {
	d, err := s.db.DueOf(ctx, sourceID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	now := s.opts.Now()
	if err != nil {
		d = store.Due{SourceID: sourceID, Schedule: s.def.Spec, Zone: s.def.Location.String()}
	}
	d.Slot, d.At = now, now
	return s.db.SetDue(ctx, d)
}

// askedAgain reports, and forgets, a CheckSoon that came while the source
// was being checked.
func (s *Scheduler) askedAgain(id uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	asked := s.again[id]
	delete(s.again, id)
	return asked
}

// ErrBusy is returned by CheckNow when the source is being checked.
var ErrBusy = errors.New("a check of this source is under way")

// CheckNow checks a source at once, on the caller's goroutine, and
// advances its due time as a scheduled check would: a capture on demand.
// It returns ErrBusy, without waiting, when the source is being checked.
// OnResult sees the result, as for scheduled checks.
func (s *Scheduler) CheckNow(ctx context.Context, sourceID uint64) (Result, error) {
	if !s.claim(sourceID) {
		return Result{}, ErrBusy
	}
	defer s.release(sourceID)
	d, err := s.db.DueOf(ctx, sourceID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Result{}, err
	}
	if err != nil {
		d = store.Due{SourceID: sourceID, Schedule: s.def.Spec, Zone: s.def.Location.String()}
	}
	res, _ := s.run(ctx, d)
	if s.opts.OnResult != nil {
		s.resultMu.Lock()
		s.opts.OnResult(res)
		s.resultMu.Unlock()
	}
	return res, res.Err
}

// claim marks a source as being checked; false when it already is.
func (s *Scheduler) claim(id uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[id] {
		return false
	}
	s.running[id] = true
	return true
}

func (s *Scheduler) release(id uint64) {
	s.mu.Lock()
	delete(s.running, id)
	s.mu.Unlock()
}

// isRunning reports whether a source is being checked.
func (s *Scheduler) isRunning(id uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running[id]
}

// run checks one due source and advances its due time. done is false when
// ctx ended first: the due time is left as it was, so the source is due
// again on restart.
func (s *Scheduler) run(ctx context.Context, due store.Due) (res Result, done bool) {
	res, done, _ = s.start(ctx, due, nil)
	return res, done
}

// start is run, pipelined when handIn is set (and the store pipelines):
// the check's last record is handed to the store's writer and start
// returns handed true at once. handIn then receives, on the writer's
// goroutine (it must not block) once that record's transaction has
// ended, what ends the check: end returns what run would have. Until
// end has run the source counts as being checked (its claim is the
// caller's to release), so that no check of it starts before its
// record is committed and the next one reads what this one wrote.
func (s *Scheduler) start(ctx context.Context, due store.Due, handIn func(end func() (Result, bool))) (res Result, done, handed bool) {
	src, err := s.db.SourceByID(ctx, due.SourceID)
	if err != nil {
		res.Err = fmt.Errorf("scheduled check of source %d: %w", due.SourceID, err)
		return s.askAgain(ctx, due.SourceID, res, false)
	}
	res.Source = src
	if src.Paused {
		if err := s.db.DeleteDue(ctx, src.ID); err != nil {
			res.Err = err
		}
		return s.askAgain(ctx, due.SourceID, res, true)
	}
	// The next slot is reckoned from the start, so that the check's last
	// record can carry it (one commit per check).
	begun := s.opts.Now()
	sched, _ := s.scheduleOf(src)
	next := s.slotAfter(src, sched, due.Slot, begun)
	next.LastStart = begun
	var pass func(pendingCheck)
	if handIn != nil {
		pass = func(finish pendingCheck) {
			handIn(func() (Result, bool) {
				res, done, _ := s.after(ctx, src, next, finish())
				return res, done
			})
		}
	}
	if res, handed = s.checkSafely(ctx, src, &next, pass); handed {
		return Result{}, false, true
	}
	return s.after(ctx, src, next, res)
}

// after ends a check whose result is in: it advances the due time when
// the check's record did not, and logs what the check found.
func (s *Scheduler) after(ctx context.Context, src store.Source, next store.Due, res Result) (Result, bool, bool) {
	log := s.opts.Logger
	if ctx.Err() != nil && !res.rescheduled {
		log.WarnContext(ctx, "check interrupted; due again on restart", "source", src.Name)
		return s.askAgain(ctx, src.ID, res, false)
	}
	if errors.Is(res.Err, ErrRenderElsewhere) {
		return s.askAgain(ctx, src.ID, res, false) // still due, for a worker with the browser
	}
	if !res.rescheduled { // the check failed before its record
		next.LastEnd = s.opts.Now()
		if err := s.db.SetDue(ctx, next); err != nil {
			res.Err = errors.Join(res.Err, err)
			return s.askAgain(ctx, src.ID, res, false)
		}
	}
	if res.Change != nil {
		c := res.Change
		log.InfoContext(ctx, "change", "source", src.Name, "change", c.ID, "revet", c.Revet, "summary", c.Summary,
			"after", c.After, "detected", c.Detected)
	}
	if res.Notice != "" {
		log.WarnContext(ctx, "notice", "source", src.Name, "notice", res.Notice)
	}
	if res.Err != nil {
		log.ErrorContext(ctx, "check failed", "source", src.Name, "err", res.Err)
	}
	return s.askAgain(ctx, src.ID, res, true)
}

// askAgain ends a check: a CheckSoon that came while it ran makes the
// source due now, since the check's record wrote its next slot over it.
func (s *Scheduler) askAgain(ctx context.Context, id uint64, res Result, done bool) (Result, bool, bool) {
	if s.askedAgain(id) {
		// Even once shutdown's grace is over: the check's record, which
		// may commit after it, wrote its next slot over the request.
		if err := s.dueNow(context.WithoutCancel(ctx), id); err != nil {
			s.opts.Logger.ErrorContext(ctx, "check asked for during a check: not made due", "source", id, "err", err)
		}
	}
	return res, done, false
}

// checkSafely is Checker.check with a panic turned into an error, so one
// page that trips a bug cannot stop the daemon.
func (s *Scheduler) checkSafely(ctx context.Context, src store.Source, next *store.Due, handIn func(pendingCheck)) (res Result, handed bool) {
	defer func() {
		if p := recover(); p != nil {
			res, handed = Result{Source: src, Err: fmt.Errorf("check %s: panic: %v", src.Name, p)}, false
			s.opts.Logger.ErrorContext(ctx, "check panicked", "source", src.Name, "panic", p, "stack", string(debug.Stack()))
		}
	}()
	return s.checker.check(ctx, src, next, handIn)
}

// RunDue checks every source due now, with the worker pool, and waits for
// them: one step of the schedule, for tests on an injected clock and for
// a one-shot run from cron(8). Sources due again during the step wait for
// the next one.
func (s *Scheduler) RunDue(ctx context.Context) ([]Result, error) {
	dues, err := s.db.DueBy(ctx, s.opts.Now(), 0)
	if err != nil {
		return nil, fmt.Errorf("read schedule: %w", err)
	}
	results := make([]Result, len(dues))
	index := make(map[uint64]int, len(dues))
	for i, d := range dues {
		index[d.SourceID] = i
	}
	workers := min(s.opts.Workers, len(dues))
	p := s.startPool(ctx, workers)
	report := func(f finished) {
		results[index[f.id]] = f.res
		if s.opts.OnResult != nil {
			s.resultMu.Lock()
			s.opts.OnResult(f.res)
			s.resultMu.Unlock()
		}
	}
	for next := 0; next < len(dues) || !p.idle(); {
		for ; next < len(dues) && p.busy < workers; next++ {
			if s.claim(dues[next].SourceID) { // else another caller is checking it
				p.send(dues[next])
			}
		}
		if p.idle() {
			break
		}
		p.flush()
		select {
		case f := <-p.results:
			if f, ok := p.got(f); ok {
				report(f)
			}
		case <-p.acks.ready:
			for _, f := range p.acked() {
				report(f)
			}
		}
	}
	p.drain(report)
	// Leave out sources another caller was already checking.
	results = slices.DeleteFunc(results, func(r Result) bool { return r.Source.ID == 0 && r.Err == nil })
	return results, ctx.Err()
}

// Run is the daemon: it syncs the schedule, then checks sources as they
// fall due with at most Workers at once, until ctx is done. Then it stops
// taking work, lets running checks finish for up to Grace, cancels the
// rest (they stay due) and returns once every worker has stopped.
func (s *Scheduler) Run(ctx context.Context) error {
	log := s.opts.Logger
	rep, err := s.Sync(ctx)
	if err != nil {
		return err
	}
	log.InfoContext(ctx, "schedule synced", "scheduled", rep.Scheduled, "rescheduled", rep.Rescheduled, "unscheduled", rep.Unscheduled,
		"default", s.def.Spec, "zone", s.opts.Location.String(), "workers", s.opts.Workers)

	// Checks run on their own context: shutdown stops the loop at once
	// but cancels checks only when the grace period is over.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	p := s.startPool(workCtx, s.opts.Workers)
	// held are sources whose due time could not be advanced (a store
	// error): they wait a poll interval instead of being retried at once.
	held := map[uint64]time.Time{}
	// resyncPending: a Sync skipped sources being checked; run it again
	// as checks finish, so their new settings take effect.
	resyncPending := false
	resyncNow := func() {
		rep, err := s.Sync(ctx)
		if err != nil {
			log.ErrorContext(ctx, "resync schedule", "err", err)
			return
		}
		resyncPending = rep.Skipped > 0
		log.InfoContext(ctx, "schedule resynced", "scheduled", rep.Scheduled, "rescheduled", rep.Rescheduled, "unscheduled", rep.Unscheduled, "skipped_running", rep.Skipped)
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	// round is the busy spell under way (zero Start: idle).
	var round Round
	report := func(f finished) {
		round.Checks++
		if !f.done && workCtx.Err() == nil {
			held[f.id] = s.opts.Now().Add(s.opts.Poll)
		}
		if s.opts.OnResult != nil {
			s.resultMu.Lock()
			s.opts.OnResult(f.res)
			s.resultMu.Unlock()
		}
		if p.idle() && !round.Start.IsZero() {
			now := s.opts.Now()
			if dues, err := s.db.DueBy(ctx, now, len(held)+1); err == nil && len(dues) <= countHeld(dues, held) {
				round.End = now
				if s.opts.OnRound != nil {
					s.opts.OnRound(round)
				}
				round = Round{}
			}
		}
	}
	for ctx.Err() == nil {
		now := s.opts.Now()
		for id, until := range held {
			if !now.Before(until) {
				delete(held, id)
			}
		}
		wait := s.opts.Poll
		if free := s.opts.Workers - p.busy; free > 0 {
			// Read one more than there are free workers (the next due
			// time), leaving out the sources running or held unread.
			dues, err := s.db.DueByExcept(ctx, now.Add(wait), free+1, func(id uint64) bool {
				_, h := held[id]
				return h || s.isRunning(id)
			})
			if err != nil {
				log.ErrorContext(ctx, "read schedule", "err", err)
			}
			for _, d := range dues {
				if _, ok := held[d.SourceID]; ok {
					continue
				}
				if d.At.After(now) {
					wait = min(wait, d.At.Sub(now))
					break
				}
				if free == 0 {
					break // the next result wakes the loop
				}
				if !s.claim(d.SourceID) {
					continue
				}
				// The list may be stale: a check that finished since it
				// was read has moved its source's due time on.
				if cur, err := s.db.DueOf(ctx, d.SourceID); err != nil || cur.At.After(now) {
					s.release(d.SourceID)
					continue
				}
				if p.idle() && round.Start.IsZero() {
					round = Round{Start: now}
				}
				p.send(d) // a worker is idle: busy < Workers
				free--
			}
		}
		p.flush()
		timer.Reset(max(wait, 0))
		select {
		case <-ctx.Done():
		case f := <-p.results:
			if f, ok := p.got(f); ok {
				report(f)
				if resyncPending {
					resyncNow()
				}
			}
		case <-p.acks.ready:
			for _, f := range p.acked() {
				report(f)
			}
			if resyncPending {
				resyncNow()
			}
		case <-timer.C:
		case <-s.wake:
		case <-s.resync:
			resyncNow()
		}
	}

	// Shutdown: no new work; in-flight checks get the grace period, and
	// the records handed in are committed before Run returns.
	log.InfoContext(ctx, "shutting down", "in_flight", p.busy, "uncommitted", p.unacked, "grace", s.opts.Grace)
	grace := time.AfterFunc(s.opts.Grace, cancelWork)
	defer grace.Stop()
	var completed, interrupted int
	p.drain(func(f finished) {
		if f.done {
			completed++
		} else {
			interrupted++
		}
		report(f)
	})
	log.InfoContext(ctx, "scheduler stopped", "finished", completed, "interrupted", interrupted)
	return nil
}

// countHeld counts the dues that are held back.
func countHeld(dues []store.Due, held map[uint64]time.Time) int {
	n := 0
	for _, d := range dues {
		if _, ok := held[d.SourceID]; ok {
			n++
		}
	}
	return n
}
