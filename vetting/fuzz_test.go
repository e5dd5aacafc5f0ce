package vetting

import (
	"testing"
	"time"
)

// FuzzParseDate: whatever ParseDate accepts prints back as itself, and
// calendar arithmetic on it agrees with the time package.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2020-02-29", "2021-02-29", "0000-01-01", "9999-12-31", "2022-13-01", "", "2022-1-1"} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if d.String() != s {
			t.Fatalf("ParseDate(%q).String() = %q", s, d)
		}
		n %= 4000
		want := time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		if got := d.AddDays(n).String(); got != want && d.Year > 0 {
			t.Fatalf("%s + %d days = %s, want %s", d, n, got, want)
		}
		w := UpdateWindow(d, time.UTC)
		if !w.InTime(d.Start(time.UTC)) || w.InTime(w.Due) {
			t.Fatalf("window of %s: %+v", d, w)
		}
	})
}
