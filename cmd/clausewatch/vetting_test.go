package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/vetting"
)

// TestVettingCommands drives the seal program's commands on a real
// database: a supplier record, a notification with tickets, the policy
// changes, deadlines (text, JSON, iCalendar), a rubric release, a pinned
// baseline with diff --baseline, and the renewal report.
func TestVettingCommands(t *testing.T) {
	var mu sync.Mutex
	served := time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(fixtures.Handler(func() time.Time { mu.Lock(); defer mu.Unlock(); return served }))
	defer srv.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "cw.db")
	must := func(wantCode int, args ...string) string {
		t.Helper()
		out, errOut, code := runCLI(t, "", args...)
		if code != wantCode {
			t.Fatalf("%v: exit %d, want %d\n%s%s", args, code, wantCode, out, errOut)
		}
		return out + errOut
	}
	must(0, "add", "--db", db, "--name", "ims", "--supplier", "1EdTech", "--allow-private", srv.URL+"/ims/privacy")
	must(0, "check", "--db", db)

	if out := must(2, "supplier", "set", "--db", db, "Nobody"); !strings.Contains(out, "no source belongs to") {
		t.Errorf("a supplier without sources: %s", out)
	}
	if out := must(1, "supplier", "set", "--db", db, "--zone", "Mars/Olympus", "1EdTech"); !strings.Contains(out, "Mars/Olympus") {
		t.Errorf("bad zone: %s", out)
	}
	if out := must(1, "supplier", "set", "--db", db, "--award", "15/06/2019", "1EdTech"); !strings.Contains(out, "15/06/2019") {
		t.Errorf("bad date: %s", out)
	}
	must(0, "supplier", "set", "--db", db, "--award", "2019-06-15", "--rubric", "1.0", "--zone", "America/New_York", "--product", "Website=ims", "1EdTech")
	// set changes only the fields given.
	must(0, "supplier", "set", "--db", db, "--note", "member since 2015", "1EdTech")
	if out := must(0, "supplier", "list", "--db", db); !strings.Contains(out, "2019-06-15") || !strings.Contains(out, "America/New_York") {
		t.Errorf("supplier list:\n%s", out)
	}

	ny, _ := time.LoadLocation("America/New_York")
	today := time.Now().In(ny).Format(time.DateOnly)
	if out := must(2, "notify", "--db", db, "--on", today, "--appear", "privacy", "1EdTech"); !strings.Contains(out, "already holds") {
		t.Errorf("a ticket that already holds: %s", out)
	}
	out := must(0, "notify", "--db", db, "--on", today, "--must", "widen the scope statement", "--source", "ims",
		"--appear", "Compatibility Check", "--reword", "you will not use our forums to post any material", "1EdTech")
	if !strings.Contains(out, "open:") || !strings.Contains(out, "America/New_York time") || !strings.Contains(out, "ticket 2 [open] reword") {
		t.Errorf("notify:\n%s", out)
	}

	mu.Lock()
	served = time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC)
	mu.Unlock()
	must(0, "check", "--db", db, "--confirm-delay", "0")

	out = must(0, "deadlines", "--db", db, "--json")
	var items []vetting.Item
	if err := json.Unmarshal([]byte(out), &items); err != nil {
		t.Fatalf("deadlines --json: %v\n%s", err, out)
	}
	var update *vetting.Item
	for i := range items {
		if items[i].Kind == "update" {
			update = &items[i]
		}
	}
	if update == nil || update.State != vetting.StateMet || update.Zone != "America/New_York" {
		t.Fatalf("update window: %+v", update)
	}
	out = must(0, "deadlines", "--db", db)
	for _, want := range []string{"DATE", "met", "policy update due", "annual seal review", "Rules:", "10 calendar days", "America/New_York time"} {
		if !strings.Contains(out, want) {
			t.Errorf("deadlines lacks %q:\n%s", want, out)
		}
	}
	if out = must(0, "deadlines", "--db", db, "--ics"); !strings.HasPrefix(out, "BEGIN:VCALENDAR\r\n") || !strings.Contains(out, "BEGIN:VEVENT") {
		t.Errorf("deadlines --ics:\n%s", out)
	}
	if out = must(2, "deadlines", "--db", db, "--at", "yesterday-ish"); !strings.Contains(out, "--at") {
		t.Errorf("bad --at: %s", out)
	}

	out = must(0, "supplier", "show", "--db", db, "1EdTech")
	if !strings.Contains(out, "ticket 1 [met] appear") || !strings.Contains(out, "ticket 2 [met] reword") || !strings.Contains(out, "must change: widen") {
		t.Errorf("supplier show:\n%s", out)
	}

	if out = must(0, "rubric", "add", "--db", db, "--released", "2026-01-01", "2.0"); !strings.Contains(out, "1 supplier(s) to vet again: 1EdTech") {
		t.Errorf("rubric add: %s", out)
	}
	if out = must(2, "rubric", "add", "--db", db, "--released", "2026-02-01", "2.0"); !strings.Contains(out, "2.0") {
		t.Errorf("rubric twice: %s", out)
	}
	// The re-vet is due 60 days after the release (to the end of
	// 2026-03-02, New York time: 05:00 UTC on 3 March), overdue after;
	// the list stays in due-date order.
	for _, tc := range []struct{ at, want string }{
		{"2026-03-02", "due"},
		{"2026-03-03T04:59:00Z", "due"},
		{"2026-03-03T05:00:00Z", "overdue"},
	} {
		out = must(0, "deadlines", "--db", db, "--json", "--at", tc.at)
		var items []vetting.Item
		if err := json.Unmarshal([]byte(out), &items); err != nil {
			t.Fatalf("deadlines --json: %v\n%s", err, out)
		}
		found := false
		for i, it := range items {
			if i > 0 && it.Due.Before(items[i-1].Due) {
				t.Errorf("deadlines at %s: %s before %s", tc.at, items[i-1].Title, it.Title)
			}
			if it.Kind == "rubric" {
				found = it.State == tc.want && it.Day == "2026-03-02"
			}
		}
		if !found {
			t.Errorf("deadlines at %s: no rubric re-vet %s on 2026-03-02:\n%s", tc.at, tc.want, out)
		}
		if text := must(0, "deadlines", "--db", db, "--at", tc.at); !strings.Contains(text, "re-vet against rubric 2.0") || !strings.Contains(text, tc.want) {
			t.Errorf("deadlines at %s:\n%s", tc.at, text)
		}
	}

	must(0, "baseline", "pin", "--db", db, "--version", "1", "ims", "vetted")
	if out = must(2, "baseline", "pin", "--db", db, "ims", "seal-awarded"); !strings.Contains(out, "built in") {
		t.Errorf("pinning a built-in name: %s", out)
	}
	if out = must(1, "diff", "--db", db, "--baseline", "vetted", "ims"); !strings.Contains(out, "Re-vet") || !strings.Contains(out, "ims v1") {
		t.Errorf("diff --baseline:\n%s", out)
	}
	if out = must(2, "diff", "--db", db, "--baseline", "nope", "ims"); !strings.Contains(out, `"nope"`) {
		t.Errorf("diff --baseline nope: %s", out)
	}

	out = must(0, "renewal", "--db", db, "--json", "--baseline", "vetted", "1EdTech")
	var rep vetting.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("renewal --json: %v", err)
	}
	if !rep.Revet || len(rep.Sources) != 1 || len(rep.Sources[0].Changes) != 1 || rep.Sources[0].Diff.Renames[0].To != "1EdTech" {
		t.Errorf("renewal: %s", rep.Verdict)
	}
	page := filepath.Join(dir, "renewal.html")
	if out = must(0, "renewal", "--db", db, "--html", "-o", page, "1EdTech"); !strings.Contains(out, "Re-vet") {
		t.Errorf("renewal -o: %s", out)
	}
	if b, err := os.ReadFile(page); err != nil || !strings.Contains(string(b), "<h1>Renewal report: 1EdTech</h1>") {
		t.Errorf("renewal page: %v", err)
	}
	if out = must(0, "renewal", "--db", db, "1EdTech"); !strings.Contains(out, "no capture at the baseline") {
		t.Errorf("renewal text should say the first capture stands in for the award day:\n%s", out)
	}
	if out = must(2, "renewal", "--db", db, "--baseline", "last-review", "1EdTech"); !strings.Contains(out, "no last review date") {
		t.Errorf("renewal without a review date: %s", out)
	}
	if out = must(0, "supplier", "token", "--db", db, "1EdTech"); !strings.HasPrefix(out, "cws_") {
		t.Errorf("supplier token: %s", out)
	}
}
