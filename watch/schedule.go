package watch

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// cronParser reads five-field specs and descriptors (@daily, @every 6h),
// with an optional CRON_TZ= or TZ= prefix.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule checks a cron spec (five fields, or @daily, @every 6h …).
func ParseSchedule(spec string) error {
	_, err := NewSchedule(spec, time.UTC)
	return err
}

// Schedule is a cron spec read in a time zone. Its slots are wall-clock
// times: Next never skips a slot that falls in a daylight-saving gap and
// never runs a slot twice when the clock goes back, which robfig/cron's
// own Next does (decision record 0010).
type Schedule struct {
	// Spec is the spec as written.
	Spec string
	// Location is the zone the spec is read in: a CRON_TZ= prefix, or the
	// zone NewSchedule was given.
	Location *time.Location
	// wall is the spec evaluated on a wall clock with no zone (UTC
	// fields); nil for @every schedules.
	wall *cron.SpecSchedule
	// every is the interval of an @every schedule.
	every time.Duration
}

// NewSchedule parses spec, to be read in loc unless it names its own zone
// with CRON_TZ=.
func NewSchedule(spec string, loc *time.Location) (Schedule, error) {
	spec = strings.TrimSpace(spec)
	parsed, err := cronParser.Parse(spec)
	if err != nil {
		return Schedule{}, fmt.Errorf("schedule %q: %w", spec, err)
	}
	s := Schedule{Spec: spec, Location: loc}
	switch p := parsed.(type) {
	case cron.ConstantDelaySchedule:
		// robfig/cron rounds a zero or negative interval up to a second;
		// that is a typo, not a wish to fetch every second.
		_, every, _ := strings.Cut(spec, "@every")
		d, err := time.ParseDuration(strings.TrimSpace(every))
		if err != nil || d < time.Second {
			return Schedule{}, fmt.Errorf("schedule %q: @every needs an interval of at least 1s", spec)
		}
		s.every = p.Delay
	case *cron.SpecSchedule:
		if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
			s.Location = p.Location
		}
		w := *p
		w.Location = time.UTC
		s.wall = &w
	default:
		return Schedule{}, fmt.Errorf("schedule %q: unsupported kind %T", spec, parsed)
	}
	if s.Location == nil {
		s.Location = time.Local
	}
	if s.wall != nil && s.Next(time.Time{}, time.Now()).IsZero() {
		return Schedule{}, fmt.Errorf("schedule %q never fires (no such date)", spec)
	}
	return s, nil
}

// Next returns the slot after last (the slot that just ran; zero for a
// source that has none) that is also after now. A daemon that was down
// for many slots therefore runs a source once on start, then resumes at
// the first slot after it.
//
// For cron specs the comparison is on the wall clock in the schedule's
// zone: the next slot is the spec's first wall time after both last's
// and now's. A wall time that occurs twice (the clock went back) is the
// earlier instant still to come; one that does not occur (the clock
// jumped forward) runs at the jump (02:30 in a 02:00→03:00 jump runs at
// 03:00), and several such slots run once.
func (s Schedule) Next(last, now time.Time) time.Time {
	if s.every > 0 {
		if last.IsZero() {
			return now.Add(s.every)
		}
		k := max(1, now.Sub(last)/s.every+1)
		return last.Add(k * s.every)
	}
	base := wallClock(now, s.Location)
	if !last.IsZero() {
		if lw := wallClock(last, s.Location); lw.After(base) {
			base = lw
		}
	}
	for range 1000 { // a spec matches at least once every few years; bound the walk
		w := s.wall.Next(base)
		if w.IsZero() {
			return time.Time{}
		}
		for _, t := range instantsOf(w, s.Location) {
			if t.After(now) {
				return t
			}
		}
		base = w
	}
	return time.Time{}
}

// Gap is the time from slot to the slot after it (for jitter bounds).
func (s Schedule) Gap(slot time.Time) time.Duration {
	if s.every > 0 {
		return s.every
	}
	next := s.Next(slot, slot)
	if next.IsZero() {
		return 0
	}
	return next.Sub(slot)
}

// wallClock is t's wall-clock reading in loc, as a zoneless (UTC) time.
func wallClock(t time.Time, loc *time.Location) time.Time {
	w := t.In(loc)
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
}

// instantsOf returns the instants whose wall clock in loc reads w,
// earliest first: one normally, two when the clock went back over w. When
// w falls in a gap (the clock jumped over it) it returns the instant of
// the jump, so every slot in the gap runs once, right after it.
func instantsOf(w time.Time, loc *time.Location) []time.Time {
	guess := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc)
	var offsets []int
	for _, probe := range []time.Duration{-26 * time.Hour, 0, 26 * time.Hour} {
		_, off := guess.Add(probe).Zone()
		if !slices.Contains(offsets, off) {
			offsets = append(offsets, off)
		}
	}
	var out, all []time.Time // exact matches; every candidate
	for _, off := range offsets {
		t := w.Add(-time.Duration(off) * time.Second).In(loc)
		all = append(all, t)
		if wallClock(t, loc).Equal(w) && !slices.ContainsFunc(out, t.Equal) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return []time.Time{jumpAfter(all, loc)}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// jumpAfter finds the instant the clock jumped at, given candidates on
// both sides of it (a wall time in the gap read with the offsets before
// and after): the first instant with the later offset.
func jumpAfter(candidates []time.Time, loc *time.Location) time.Time {
	lo, hi := slices.MinFunc(candidates, time.Time.Compare), slices.MaxFunc(candidates, time.Time.Compare)
	_, after := hi.In(loc).Zone()
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
		if _, off := mid.In(loc).Zone(); off == after {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi.In(loc)
}

// Jitter is a source's fixed offset from its slots, spreading sources that
// share a schedule: a hash of the URL modulo the smaller of max and a
// quarter of the gap between slots, in whole milliseconds. The same URL
// always gets the same offset, so a source's checks stay evenly spaced.
func Jitter(url string, max, gap time.Duration) time.Duration {
	if q := gap / 4; q < max {
		max = q
	}
	ms := max.Milliseconds()
	if ms <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(url))
	return time.Duration(h.Sum64()%uint64(ms)) * time.Millisecond
}
