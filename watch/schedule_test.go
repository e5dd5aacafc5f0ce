package watch

import (
	"fmt"
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, on machines without a zoneinfo database

	"github.com/robfig/cron/v3"
)

// TestScheduleAcrossDST compares Schedule.Next, called as the daemon calls
// it, with a brute-force reading of the spec: every wall-clock minute
// that matches is one run, at its first instant; a matching minute the
// clock jumped over runs at the jump; runs that land on the same instant
// are one run. Ten days around each
// transition, in zones with one-hour and half-hour shifts.
func TestScheduleAcrossDST(t *testing.T) {
	windows := []struct {
		zone string
		day  string // a transition day
	}{
		{"America/New_York", "2026-03-08"},    // 02:00 → 03:00
		{"America/New_York", "2026-11-01"},    // 02:00 → 01:00
		{"Europe/Berlin", "2026-03-29"},       // 02:00 → 03:00
		{"Europe/Berlin", "2026-10-25"},       // 03:00 → 02:00
		{"Australia/Lord_Howe", "2026-04-05"}, // 02:00 → 01:30
		{"Australia/Lord_Howe", "2026-10-04"}, // 02:00 → 02:30
		{"UTC", "2026-03-08"},
	}
	specs := []string{"30 2 * * *", "30 1 * * *", "0 2 * * *", "0 3 * * *", "45 2 * * *", "0 * * * *", "*/20 * * * *",
		"15 2 * * 0", "@daily", "@hourly", "0 6 * * 1-5", "0 2,3 * * *"}
	for _, w := range windows {
		loc, err := time.LoadLocation(w.zone)
		if err != nil {
			t.Fatal(err)
		}
		day, _ := time.ParseInLocation(time.DateOnly, w.day, loc)
		from, to := day.AddDate(0, 0, -5), day.AddDate(0, 0, 5)
		for _, spec := range specs {
			t.Run(w.zone+"/"+w.day+"/"+spec, func(t *testing.T) {
				s, err := NewSchedule(spec, loc)
				if err != nil {
					t.Fatal(err)
				}
				want := bruteForce(t, s, from, to)
				var got []time.Time
				last := time.Time{}
				now := from
				for {
					next := s.Next(last, now)
					if next.IsZero() || next.After(to) {
						break
					}
					if !next.After(now) {
						t.Fatalf("Next(%v, %v) = %v, not after now", last, now, next)
					}
					got = append(got, next)
					last, now = next, next // the check ran exactly on time
				}
				if !slices.EqualFunc(got, want, time.Time.Equal) {
					t.Errorf("%d runs, want %d; first difference: %s", len(got), len(want), firstDifference(got, want, loc))
				}
			})
		}
	}
}

// bruteForce lists the runs of s in (from, to] by walking every real
// minute, independent of Next and of robfig/cron's own Next.
func bruteForce(t *testing.T, s Schedule, from, to time.Time) []time.Time {
	t.Helper()
	first := map[time.Time]time.Time{} // wall minute → first instant
	var walls []time.Time
	for i := from.Add(-24 * time.Hour); !i.After(to.Add(24 * time.Hour)); i = i.Add(time.Minute) {
		w := wallClock(i, s.Location)
		if _, ok := first[w]; !ok {
			first[w] = i
			walls = append(walls, w)
		}
	}
	var runs []time.Time
	lo, hi := wallClock(from, s.Location).Add(-24*time.Hour), wallClock(to, s.Location).Add(24*time.Hour)
	for w := lo; !w.After(hi); w = w.Add(time.Minute) {
		if !specMatches(s.wall, w) {
			continue
		}
		run, ok := first[w]
		if !ok { // in a gap: runs at the jump
			i, _ := slices.BinarySearchFunc(walls, w, time.Time.Compare)
			run = first[walls[i]] // the first wall reading past the gap
		}
		if run.After(from) && !run.After(to) && (len(runs) == 0 || !runs[len(runs)-1].Equal(run)) {
			runs = append(runs, run)
		}
	}
	slices.SortFunc(runs, time.Time.Compare)
	return slices.CompactFunc(runs, time.Time.Equal)
}

// specMatches is cron's matching rule on a wall-clock minute.
func specMatches(s *cron.SpecSchedule, w time.Time) bool {
	const star = 1 << 63
	bit := func(field uint64, v int) bool { return field&(1<<uint(v)) != 0 }
	dom, dow := bit(s.Dom, w.Day()), bit(s.Dow, int(w.Weekday()))
	day := dom || dow
	if s.Dom&star != 0 || s.Dow&star != 0 {
		day = dom && dow
	}
	return w.Second() == 0 && bit(s.Minute, w.Minute()) && bit(s.Hour, w.Hour()) && bit(s.Month, int(w.Month())) && day
}

// firstDifference shows where two run lists part, with a little context.
func firstDifference(got, want []time.Time, loc *time.Location) string {
	i := 0
	for i < len(got) && i < len(want) && got[i].Equal(want[i]) {
		i++
	}
	show := func(ts []time.Time) string {
		out := ""
		for _, t := range ts[max(0, i-2):min(len(ts), i+3)] {
			out += " " + t.In(loc).Format("01-02T15:04MST")
		}
		return out
	}
	return fmt.Sprintf("run %d:\n got%s\nwant%s", i, show(got), show(want))
}

// TestScheduleAfterDowntime: however many slots were missed, Next gives
// one slot, the first after now, so an overdue source runs once.
func TestScheduleAfterDowntime(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Berlin")
	tests := []struct {
		spec      string
		last, now string
		want      string
	}{
		{"0 6 * * *", "2026-03-01T06:00", "2026-03-09T14:00", "2026-03-10T06:00"},
		{"0 6 * * *", "2026-03-01T06:00", "2026-03-01T06:00", "2026-03-02T06:00"},
		{"*/15 * * * *", "2026-03-01T06:00", "2026-03-01T09:07", "2026-03-01T09:15"},
		{"@every 6h", "2026-03-01T06:00", "2026-03-03T07:00", "2026-03-03T12:00"}, // keeps its phase
		{"@every 6h", "2026-03-01T06:00", "2026-03-01T06:00", "2026-03-01T12:00"},
		{"@every 6h", "", "2026-03-01T06:00", "2026-03-01T12:00"},
		{"0 6 * * *", "", "2026-03-01T07:00", "2026-03-02T06:00"},
		{"CRON_TZ=America/New_York 0 6 * * *", "", "2026-03-01T07:00", "2026-03-01T12:00"}, // 06:00 New York
		{"CRON_TZ=America/New_York @every 1h", "2026-03-01T06:00", "2026-03-01T06:30", "2026-03-01T07:00"},
		{"0 6 * * *", "2026-03-05T06:00", "2026-03-01T07:00", "2026-03-06T06:00"}, // clock set back: never repeats a slot
	}
	parse := func(s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		v, err := time.ParseInLocation("2006-01-02T15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tt := range tests {
		s, err := NewSchedule(tt.spec, loc)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Next(parse(tt.last), parse(tt.now)); !got.Equal(parse(tt.want)) {
			t.Errorf("%s: Next(%s, %s) = %s, want %s", tt.spec, tt.last, tt.now, got.In(loc).Format("2006-01-02T15:04"), tt.want)
		}
	}
}

func TestScheduleErrors(t *testing.T) {
	for _, spec := range []string{"", "every day", "61 * * * *", "* * * *", "0 0 30 2 * *", "0 0 30 2 *", "CRON_TZ=Mars/Olympus 0 6 * * *", "@every -1h"} {
		if _, err := NewSchedule(spec, time.UTC); err == nil {
			t.Errorf("NewSchedule(%q) accepted", spec)
		}
	}
}

// TestJitter: fixed per URL, spread, within the smaller of max and a
// quarter of the gap.
func TestJitter(t *testing.T) {
	if a, b := Jitter("https://a.example/p", time.Hour, 24*time.Hour), Jitter("https://a.example/p", time.Hour, 24*time.Hour); a != b {
		t.Errorf("not deterministic: %v, %v", a, b)
	}
	buckets := make([]int, 6)
	for i := range 6000 {
		j := Jitter(fmt.Sprintf("https://s%d.example/privacy", i), 30*time.Minute, 24*time.Hour)
		if j < 0 || j >= 30*time.Minute {
			t.Fatalf("jitter %v out of [0, 30m)", j)
		}
		buckets[j/(5*time.Minute)]++
	}
	for i, n := range buckets {
		if n < 800 || n > 1200 { // 1000 expected each
			t.Errorf("5-minute bucket %d holds %d of 6000: not spread", i, n)
		}
	}
	if j := Jitter("https://a.example/p", time.Hour, 8*time.Minute); j >= 2*time.Minute {
		t.Errorf("jitter %v for an 8-minute schedule, want under a quarter of it", j)
	}
	if j := Jitter("https://a.example/p", 0, time.Hour); j != 0 {
		t.Errorf("jitter %v with max 0", j)
	}
}
