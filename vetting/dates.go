package vetting

import (
	"fmt"
	"time"
)

// The seal program's periods (../shared/seeds/003_52b30cc20bfc13cb.txt).
const (
	// UpdateDays: "Within ten days from the above notification, the
	// supplier must update its policy."
	UpdateDays = 10
	// NoticeDays: "the supplier is notified 60 days prior to its
	// expiration".
	NoticeDays = 60
	// RubricDays: how long after a rubric release a re-vet against it is
	// due. The programme says only "applications must be vetted again
	// with each new release of the rubric", with no period; clausewatch
	// gives a re-vet the time the programme gives a renewal review's
	// notice (decision record 0046). Program.RubricDays overrides it.
	RubricDays = 60
)

// Date is a calendar date, with no time of day and no zone: the program's
// dates (award, notification, review) are days, and a day begins and ends
// in a zone only when a rule says which.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t, time.UTC), nil
}

// DateOf is the calendar date of t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == Date{} }

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// MarshalText writes d as YYYY-MM-DD (JSON: a string; the zero date "").
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD ("" is the zero date).
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// AddDays is the date n calendar days later (earlier for negative n).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC), time.UTC)
}

// Start is the first instant of d in loc. On a day whose midnight does not
// exist (a daylight-saving jump at 00:00) it is the first instant that
// does.
func (d Date) Start(loc *time.Location) time.Time {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
	if DateOf(t, loc) != d { // normalised back into the day before
		t = time.Date(d.Year, d.Month, d.Day, 1, 0, 0, 0, loc)
		for DateOf(t.Add(-time.Minute), loc) == d {
			t = t.Add(-time.Minute)
		}
	}
	return t
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmpInt(d.Year, e.Year)
	case d.Month != e.Month:
		return cmpInt(int(d.Month), int(e.Month))
	default:
		return cmpInt(d.Day, e.Day)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// Window is the update window that a vetting notification opens.
type Window struct {
	// Notified is day 0, the day of the notification.
	Notified Date `json:"notified"`
	// LastDay is day 10, the last day on which the update is in time.
	LastDay Date `json:"last_day"`
	// Due is the first instant after the window: a capture strictly before
	// it is in time.
	Due  time.Time `json:"due"`
	Zone string    `json:"zone"`
	// Rule states the rule in words, zone included.
	Rule string `json:"rule"`
}

// UpdateWindow is the window after a notification on day notified, with
// days counted in loc: ten calendar days, the notification day being day
// 0, so the update must be live before midnight at the end of day 10
// (local time). Weekends and holidays count.
func UpdateWindow(notified Date, loc *time.Location) Window {
	last := notified.AddDays(UpdateDays)
	due := last.AddDays(1).Start(loc)
	return Window{
		Notified: notified, LastDay: last, Due: due, Zone: loc.String(),
		Rule: fmt.Sprintf("%d calendar days: notified %s (day 0), the update must be live by the end of %s (day %d), %s time",
			UpdateDays, notified, last, UpdateDays, loc),
	}
}

// InTime reports whether a capture at t is inside the window.
func (w Window) InTime(t time.Time) bool { return t.Before(w.Due) }

// Anniversary is the award's anniversary in year: the same month and day,
// except that an award on 29 February is reviewed on 28 February in years
// that have no 29 February (the seal is valid for a year, not a day more).
func Anniversary(award Date, year int) Date {
	if award.Month == time.February && award.Day == 29 && !leap(year) {
		return Date{year, time.February, 28}
	}
	return Date{year, award.Month, award.Day}
}

func leap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// NextRenewal is the first anniversary of award on or after today (never
// the award day itself: the first review is a year after the award).
func NextRenewal(award, today Date) Date {
	y := max(today.Year, award.Year+1)
	r := Anniversary(award, y)
	if r.Before(today) {
		r = Anniversary(award, y+1)
	}
	return r
}

// PreviousRenewal is the last anniversary of award before today; zero
// when the first is still to come.
func PreviousRenewal(award, today Date) Date {
	for y := today.Year; y > award.Year; y-- {
		if r := Anniversary(award, y); r.Before(today) {
			return r
		}
	}
	return Date{}
}

// NoticeDate is the day the supplier is notified of a renewal: 60
// calendar days before it.
func NoticeDate(renewal Date) Date { return renewal.AddDays(-NoticeDays) }
