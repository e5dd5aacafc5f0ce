package main

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fixtures"
)

// TestVettingRefusals: the CLI refuses what the web forms and the API
// refuse, with the same reasons (they call the same vetting functions):
// a notification dated after today in the supplier's zone, one for a
// supplier without a record (named), a record for a supplier without
// sources, a built-in baseline name, a product without sources.
func TestVettingRefusals(t *testing.T) {
	srv := httptest.NewServer(fixtures.Handler(func() time.Time { return time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC) }))
	defer srv.Close()
	db := filepath.Join(t.TempDir(), "cw.db")
	for _, args := range [][]string{
		{"add", "--db", db, "--name", "ims", "--supplier", "1EdTech", "--allow-private", srv.URL + "/ims/privacy"},
		{"check", "--db", db},
	} {
		if out, errOut, code := runCLI(t, "", args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	// Kiritimati is UTC+14: its today is the latest anywhere, and its
	// day after tomorrow stays after today while the test runs.
	kiri, err := time.LoadLocation("Pacific/Kiritimati")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(kiri)
	today, ahead := now.Format(time.DateOnly), now.AddDate(0, 0, 2).Format(time.DateOnly)
	for _, tt := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"notify without a record", []string{"notify", "--db", db, "--on", "2019-06-01", "1EdTech"}, 2, `supplier "1EdTech" has no seal record`},
		{"record without sources", []string{"supplier", "set", "--db", db, "--award", "2019-06-15", "Nobody"}, 2, `no source belongs to supplier "Nobody"`},
		{"product without sources", []string{"supplier", "set", "--db", db, "--product", "Website", "1EdTech"}, 2, "want NAME=SOURCE,SOURCE"},
		{"record", []string{"supplier", "set", "--db", db, "--zone", "Pacific/Kiritimati", "1EdTech"}, 0, `supplier "1EdTech" saved`},
		{"notify the day after tomorrow", []string{"notify", "--db", db, "--on", ahead, "1EdTech"}, 2, "notification date " + ahead + " is after today"},
		{"notify today", []string{"notify", "--db", db, "--on", today, "1EdTech"}, 0, "notification 1 recorded"},
		{"built-in baseline", []string{"baseline", "pin", "--db", db, "ims", "seal-awarded"}, 2, `baseline "seal-awarded" is built in`},
		{"baseline in force now", []string{"baseline", "pin", "--db", db, "ims", "now"}, 0, `baseline "now" of ims: version 1`},
	} {
		out, errOut, code := runCLI(t, "", tt.args...)
		if code != tt.code || !strings.Contains(out+errOut, tt.says) {
			t.Errorf("%s: exit %d, want %d saying %q:\n%s%s", tt.name, code, tt.code, tt.says, out, errOut)
		}
	}
}
