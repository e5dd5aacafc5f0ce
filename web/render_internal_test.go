package web

import (
	"testing"
	"time"
)

// TestAgo: "ago" is reckoned from the server's clock, not the machine's,
// so a page served on a configured clock says how long ago on that clock.
func TestAgo(t *testing.T) {
	now := time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "never"},
		{now.Add(time.Hour), "in the future"},
		{now.Add(-30 * time.Second), "just now"},
		{now.Add(-5 * time.Minute), "5 minutes ago"},
		{now.Add(-26 * time.Hour), "26 hours ago"},
		{now.AddDate(0, 0, -10), "10 days ago"},
		{now.AddDate(0, -6, 0), "6 months ago"},
	} {
		if got := ago(tc.t, now); got != tc.want {
			t.Errorf("ago(%v, %v) = %q, want %q", tc.t, now, got, tc.want)
		}
	}
}
