package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore"
	"github.com/clausewatch/clausewatch/watch"
)

// The schedule on PostgreSQL (decision record 0047): a scheduler stores
// its --schedule, --tz, --jitter and --urgent-schedule in the database
// when it starts; a worker or web server started without them takes the
// stored ones, and one given other values refuses to start, naming both.

// scheduleFlags are serve's flags that make up the plan.
type scheduleFlags struct {
	spec, zone, urgent *string
	jitter             *time.Duration
}

// planFlagNames are those flags' names, as given on the command line.
var planFlagNames = [...]string{"schedule", "tz", "jitter", "urgent-schedule"}

// plan is the flags as a Plan.
func (f scheduleFlags) plan() pgstore.Plan {
	host, _ := os.Hostname()
	return pgstore.Plan{Schedule: *f.spec, Zone: *f.zone, Jitter: f.jitter.String(), Urgent: *f.urgent,
		By: fmt.Sprintf("serve pid %d on %s", os.Getpid(), host)}
}

// agree settles the plan this process runs by and sets the flags to it.
// It returns the plan in force (nil on a database file) and the zone.
func (f scheduleFlags) agree(ctx context.Context, fs *flag.FlagSet, db store.Store, role string, log *slog.Logger) (*pgstore.Plan, *time.Location, error) {
	pg, ok := db.(*pgstore.DB)
	if !ok {
		loc, err := time.LoadLocation(*f.zone)
		return nil, loc, err
	}
	mine := f.plan()
	if runs(role, roleScheduler) {
		prev, err := pg.SetPlan(ctx, mine)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, nil, fmt.Errorf("serve: %w", err)
		case !prev.Same(mine):
			log.Warn("schedule stored in the database replaced by this scheduler's: workers started before it stop to start again with it",
				"was", planText(prev), "now", planText(mine), "stored_by", prev.By)
		}
		if mine.Zone == "Local" {
			log.Warn("--tz Local is stored as it is: workers on other machines read it in their own zone; name a zone (--tz Europe/Paris)")
		}
		loc, err := time.LoadLocation(mine.Zone)
		return &mine, loc, err
	}
	stored, err := pg.Plan(ctx)
	if errors.Is(err, store.ErrNotFound) {
		log.Warn("no scheduler has stored its schedule in the database yet: using this process's own flags", "plan", planText(mine))
		loc, err := time.LoadLocation(mine.Zone)
		return nil, loc, err
	}
	if err != nil {
		return nil, nil, fmt.Errorf("serve: %w", err)
	}
	if err := conflicts(fs, mine, stored); err != nil {
		return nil, nil, err
	}
	loc, jitter, err := planSettings(stored)
	if err != nil {
		return nil, nil, fmt.Errorf("serve: %w", err)
	}
	*f.spec, *f.zone, *f.urgent, *f.jitter = stored.Schedule, stored.Zone, stored.Urgent, jitter
	log.Info("schedule taken from the database", "plan", planText(stored), "stored_by", stored.By)
	return &stored, loc, nil
}

// conflicts refuses flags given on the command line that differ from
// the stored plan: this process would compute other slots than the
// schedulers do.
func conflicts(fs *flag.FlagSet, mine, stored pgstore.Plan) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	values := map[string][2]string{
		"schedule":        {mine.Schedule, stored.Schedule},
		"tz":              {mine.Zone, stored.Zone},
		"jitter":          {mine.Jitter, stored.Jitter},
		"urgent-schedule": {mine.Urgent, stored.Urgent},
	}
	for _, name := range planFlagNames {
		v := values[name]
		if given[name] && !sameSetting(name, v[0], v[1]) {
			return usageError("serve: --%s %q differs from the schedulers' %q stored in the database (by %s at %s): drop the flag (workers and web servers take the schedulers' schedule) or start the schedulers with it",
				name, v[0], v[1], stored.By, stored.Set.Format(time.RFC3339))
		}
	}
	return nil
}

// sameSetting compares two values of a flag (durations by value).
func sameSetting(name, a, b string) bool {
	if name == "jitter" {
		da, errA := time.ParseDuration(a)
		db, errB := time.ParseDuration(b)
		return errA == nil && errB == nil && da == db
	}
	return a == b
}

// planSettings are a stored plan's zone and jitter, its specs checked.
func planSettings(p pgstore.Plan) (*time.Location, time.Duration, error) {
	loc, err := time.LoadLocation(p.Zone)
	if err != nil {
		return nil, 0, fmt.Errorf("the stored schedule's zone: %w", err)
	}
	for _, spec := range []string{p.Schedule, p.Urgent} {
		if _, err := watch.NewSchedule(spec, loc); err != nil {
			return nil, 0, fmt.Errorf("the stored schedule: %w", err)
		}
	}
	jitter, err := p.JitterDuration()
	if err != nil {
		return nil, 0, err
	}
	return loc, jitter, nil
}

func planText(p pgstore.Plan) string {
	return fmt.Sprintf("--schedule %q --tz %s --jitter %s --urgent-schedule %q", p.Schedule, p.Zone, p.Jitter, p.Urgent)
}

// errPlanChanged stops a worker whose schedule is no longer the stored
// one: started again, it takes the new one.
var errPlanChanged = errors.New("the schedulers' schedule in the database changed")

// watchPlan reads the stored plan every poll and calls changed when it
// is no longer the one in force (in), then runs by what changed
// returned: the new plan once taken, in again when it was not (tried
// again at the next look).
func watchPlan(ctx context.Context, db *pgstore.DB, in pgstore.Plan, poll time.Duration, log *slog.Logger, changed func(now pgstore.Plan) pgstore.Plan) {
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now, err := db.Plan(ctx)
		if errors.Is(err, store.ErrNotFound) {
			continue // none stored yet: this process's own flags hold
		}
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("read the stored schedule", "err", err)
			}
			continue
		}
		if !now.Same(in) {
			in = changed(now)
		}
	}
}

// stopOnPlanChange is a worker's answer to a changed plan: it stops, to
// be started again with it (its slots are computed as it records).
func stopOnPlanChange(in pgstore.Plan, log *slog.Logger, stop context.CancelCauseFunc) func(pgstore.Plan) pgstore.Plan {
	return func(now pgstore.Plan) pgstore.Plan {
		log.Error("the schedulers' schedule changed: stopping, to be started again with it", "was", planText(in), "now", planText(now), "stored_by", now.By)
		stop(fmt.Errorf("%w (now %s): start this process again", errPlanChanged, planText(now)))
		return now
	}
}

// followPlanChange is a web server's: it takes the new plan for its
// checks on demand (follow builds their scheduler anew) and goes on
// serving; a plan it cannot take is logged and the old one kept.
func followPlanChange(in pgstore.Plan, log *slog.Logger, follow func(pgstore.Plan) error) func(pgstore.Plan) pgstore.Plan {
	return func(now pgstore.Plan) pgstore.Plan {
		if err := follow(now); err != nil {
			log.Error("the schedulers' schedule changed, but this web server cannot take it: keeping its own", "now", planText(now), "err", err)
			return in
		}
		log.Info("the schedulers' schedule changed: the web server's checks on demand follow it", "was", planText(in), "now", planText(now), "stored_by", now.By)
		in = now
		return now
	}
}

// switchedScheduler is a web server's scheduler on PostgreSQL, replaced
// whole when the stored plan changes: a request uses the one in force
// when it comes.
type switchedScheduler struct {
	cur atomic.Pointer[lockedScheduler]
}

func newSwitchedScheduler(s lockedScheduler) *switchedScheduler {
	w := &switchedScheduler{}
	w.set(s)
	return w
}

func (w *switchedScheduler) set(s lockedScheduler) { w.cur.Store(&s) }

func (w *switchedScheduler) CheckSoon(ctx context.Context, sourceID uint64) error {
	return w.cur.Load().CheckSoon(ctx, sourceID)
}

func (w *switchedScheduler) CheckNow(ctx context.Context, sourceID uint64) (watch.Result, error) {
	return w.cur.Load().CheckNow(ctx, sourceID)
}

func (w *switchedScheduler) Resync() { w.cur.Load().Resync() }
