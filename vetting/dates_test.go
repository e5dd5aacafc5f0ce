package vetting

import (
	"testing"
	"time"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func date(t *testing.T, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestUpdateWindow(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	syd := mustLoad(t, "Australia/Sydney")
	tests := []struct {
		name     string
		notified string
		loc      *time.Location
		lastDay  string
		due      string // RFC 3339: the first instant too late
	}{
		{"plain", "2022-05-13", time.UTC, "2022-05-23", "2022-05-24T00:00:00Z"},
		{"month end", "2022-01-25", time.UTC, "2022-02-04", "2022-02-05T00:00:00Z"},
		{"year end", "2021-12-28", time.UTC, "2022-01-07", "2022-01-08T00:00:00Z"},
		{"through 29 Feb in a leap year", "2024-02-20", time.UTC, "2024-03-01", "2024-03-02T00:00:00Z"},
		{"through Feb in a common year", "2023-02-20", time.UTC, "2023-03-02", "2023-03-03T00:00:00Z"},
		{"notified on 29 Feb", "2024-02-29", time.UTC, "2024-03-10", "2024-03-11T00:00:00Z"},
		{"31st to 30-day month", "2022-03-31", time.UTC, "2022-04-10", "2022-04-11T00:00:00Z"},
		{"New York, winter", "2022-01-03", ny, "2022-01-13", "2022-01-14T05:00:00Z"},
		// Daylight saving starts on 13 March 2022 in New York: day 10 ends
		// at midnight EDT.
		{"New York, across the spring change", "2022-03-05", ny, "2022-03-15", "2022-03-16T04:00:00Z"},
		{"New York, across the autumn change", "2022-10-30", ny, "2022-11-09", "2022-11-10T05:00:00Z"},
		{"Sydney, ahead of UTC", "2022-06-01", syd, "2022-06-11", "2022-06-11T14:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := UpdateWindow(date(t, tt.notified), tt.loc)
			if w.LastDay.String() != tt.lastDay {
				t.Errorf("last day %s, want %s", w.LastDay, tt.lastDay)
			}
			want, _ := time.Parse(time.RFC3339, tt.due)
			if !w.Due.Equal(want) {
				t.Errorf("due %s, want %s", w.Due.UTC().Format(time.RFC3339), tt.due)
			}
			if w.Zone != tt.loc.String() || w.Rule == "" {
				t.Errorf("rule %q zone %q: the zone must be stated", w.Rule, w.Zone)
			}
		})
	}
}

// The acceptance case: day 10 runs to local midnight, whatever UTC says.
func TestUpdateWindowLocalDayTen(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	w := UpdateWindow(date(t, "2022-05-13"), ny)
	for _, c := range []struct {
		at     time.Time
		inTime bool
	}{
		{time.Date(2022, 5, 23, 23, 30, 0, 0, ny), true},                        // 23:30 local on day 10 (03:30 UTC on day 11)
		{time.Date(2022, 5, 23, 23, 59, 59, 999e6, ny), true},                   // the last instant
		{time.Date(2022, 5, 24, 0, 0, 0, 0, ny), false},                         // midnight: day 11
		{time.Date(2022, 5, 24, 0, 30, 0, 0, time.UTC), true},                   // 20:30 local on day 10
		{time.Date(2022, 5, 13, 9, 0, 0, 0, ny), true},                          // day 0
		{time.Date(2022, 5, 24, 3, 59, 0, 0, time.UTC), true},                   // 23:59 EDT
		{time.Date(2022, 5, 24, 4, 0, 0, 0, time.UTC), false},                   // 00:00 EDT, day 11
		{time.Date(2022, 5, 23, 23, 30, 0, 0, time.UTC), true},                  // UTC clock says day 10, local 19:30
		{time.Date(2022, 5, 24, 12, 30, 0, 0, mustLoad(t, "Asia/Tokyo")), true}, // Tokyo's 24th is still day 10 (23:30) in New York
	} {
		if got := w.InTime(c.at); got != c.inTime {
			t.Errorf("capture at %s (%s local): in time %v, want %v", c.at.Format(time.RFC3339), c.at.In(ny).Format("2006-01-02 15:04"), got, c.inTime)
		}
	}
}

func TestRenewalDates(t *testing.T) {
	tests := []struct {
		name, award, today, next, prev, notice string
	}{
		{"before the first anniversary", "2019-06-15", "2019-09-01", "2020-06-15", "", "2020-04-16"},
		{"on the award day", "2019-06-15", "2019-06-15", "2020-06-15", "", "2020-04-16"},
		{"on an anniversary", "2019-06-15", "2022-06-15", "2022-06-15", "2021-06-15", "2022-04-16"},
		{"the day after", "2019-06-15", "2022-06-16", "2023-06-15", "2022-06-15", "2023-04-16"},
		{"29 Feb award, common year", "2020-02-29", "2021-01-10", "2021-02-28", "", "2020-12-30"},
		{"29 Feb award, next leap year", "2020-02-29", "2023-03-01", "2024-02-29", "2023-02-28", "2023-12-31"},
		{"29 Feb award, on the 28th", "2020-02-29", "2022-02-28", "2022-02-28", "2021-02-28", "2021-12-30"},
		{"31 Jan award, notice across the year", "2020-01-31", "2020-12-01", "2021-01-31", "", "2020-12-02"},
		// Notice 60 days before 1 March: the 29th of February counts.
		{"notice across a leap February", "2019-03-01", "2023-06-01", "2024-03-01", "2023-03-01", "2024-01-01"},
		{"notice across a common February", "2019-03-01", "2022-06-01", "2023-03-01", "2022-03-01", "2022-12-31"},
		{"31 Dec award", "2018-12-31", "2019-12-31", "2019-12-31", "", "2019-11-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			award, today := date(t, tt.award), date(t, tt.today)
			next := NextRenewal(award, today)
			if next.String() != tt.next {
				t.Errorf("next renewal %s, want %s", next, tt.next)
			}
			if prev := PreviousRenewal(award, today); prev.String() != tt.prev {
				t.Errorf("previous renewal %q, want %q", prev, tt.prev)
			}
			if n := NoticeDate(next); n.String() != tt.notice {
				t.Errorf("notice %s, want %s", n, tt.notice)
			}
		})
	}
}

func TestAnniversary(t *testing.T) {
	leapAward := Date{2020, time.February, 29}
	for y, want := range map[int]string{2021: "2021-02-28", 2024: "2024-02-29", 2100: "2100-02-28", 2400: "2400-02-29"} {
		if got := Anniversary(leapAward, y).String(); got != want {
			t.Errorf("anniversary in %d: %s, want %s", y, got, want)
		}
	}
}

func TestDateStartAtMissingMidnight(t *testing.T) {
	// In Santiago the clocks went from 00:00 to 01:00 on 4 September 2022:
	// that day begins at 01:00.
	scl := mustLoad(t, "America/Santiago")
	d := Date{2022, time.September, 4}
	s := d.Start(scl)
	if DateOf(s, scl) != d || DateOf(s.Add(-time.Second), scl) == d {
		t.Errorf("start of %s in Santiago: %s", d, s)
	}
}
