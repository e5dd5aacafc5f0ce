package vetting_test

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode"

	arran "github.com/arran4/golang-ical"
	emersion "github.com/emersion/go-ical"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
)

// The calendar is written with one iCalendar library and read back with
// another, so a fault of the writer cannot hide behind the same reader.
func TestCalendarParses(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	w.Clock.Set(at("2022-05-13"))
	if _, err := w.Program.Notify(ctx, vetting.NotifyRequest{Supplier: ims, When: "2022-05-13", Tickets: tickets2022}); err != nil {
		t.Fatal(err)
	}
	// A name that needs escaping: comma, semicolon, backslash, non-ASCII.
	if _, err := w.DB.PutSupplier(ctx, store.Supplier{Name: `Ünïcode; Learning, Inc. \ Co`, Awarded: "2020-02-29", Rubric: "1.0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB.AddRubric(ctx, store.Rubric{Version: "2.0", Released: "2022-04-01"}); err != nil {
		t.Fatal(err)
	}
	now := at("2022-05-14")
	items, err := w.Program.Deadlines(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := vetting.WriteCalendar(&buf, items, vetting.CalendarOptions{Instance: "abc123", BaseURL: "https://cw.example", Now: now}); err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(buf.String(), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line %d is %d octets (RFC 5545 folds at 75): %q", i+1, len(line), line)
		}
	}
	// Renewals have a notice event too.
	want := len(items)
	for _, it := range items {
		if it.Kind == "renewal" {
			want++
		}
	}

	cal, err := emersion.NewDecoder(bytes.NewReader(buf.Bytes())).Decode()
	if err != nil {
		t.Fatalf("go-ical cannot read the calendar: %v\n%s", err, buf.String())
	}
	events := cal.Events()
	if len(events) != want {
		t.Fatalf("go-ical reads %d events, want %d", len(events), want)
	}
	found := map[string]time.Time{}
	uids := map[string]bool{}
	for _, ev := range events {
		summary, _ := ev.Props.Text(emersion.PropSummary)
		start, err := ev.DateTimeStart(time.UTC)
		if err != nil {
			t.Fatalf("event %q: DTSTART: %v", summary, err)
		}
		if p := ev.Props.Get(emersion.PropDateTimeStart); p.ValueType() != emersion.ValueDate {
			t.Errorf("event %q is not all-day: %v", summary, p.ValueType())
		}
		found[summary] = start
		uid, _ := ev.Props.Text(emersion.PropUID)
		if uids[uid] {
			t.Errorf("UID %s repeated", uid)
		}
		uids[uid] = true
	}
	for summary, day := range map[string]string{
		"[open] 1EdTech Consortium: policy update due (notified 2022-05-13)":               "2022-05-23",
		"[due] 1EdTech Consortium: annual seal review (awarded 2019-06-15)":                "2022-06-15",
		"1EdTech Consortium: send the renewal notice (review on 2022-06-15)":               "2022-04-16",
		`[upcoming] Ünïcode; Learning, Inc. \ Co: annual seal review (awarded 2020-02-29)`: "2023-02-28",
		`[due] Ünïcode; Learning, Inc. \ Co: re-vet against rubric 2.0`:                    "2022-05-31",
		"[overdue] 1EdTech Consortium: annual seal review (awarded 2019-06-15)":            "2021-06-15",
	} {
		got, ok := found[summary]
		if !ok {
			t.Errorf("no event %q (have %v)", summary, found)
			continue
		}
		if got.Format(time.DateOnly) != day {
			t.Errorf("%q on %s, want %s", summary, got.Format(time.DateOnly), day)
		}
	}

	// And the other library.
	cal2, err := arran.ParseCalendar(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("golang-ical cannot read the calendar: %v", err)
	}
	if n := len(cal2.Events()); n != want {
		t.Errorf("golang-ical reads %d events, want %d", n, want)
	}
	for _, ev := range cal2.Events() {
		if p := ev.GetProperty(arran.ComponentPropertyUrl); p == nil || !strings.HasPrefix(p.Value, "https://cw.example/suppliers/") {
			t.Errorf("event %s has no link to its supplier", ev.Id())
		}
	}

	// The UIDs are stable: the same items give the same calendar events.
	var again bytes.Buffer
	items2, _ := w.Program.Deadlines(ctx, now)
	if err := vetting.WriteCalendar(&again, items2, vetting.CalendarOptions{Instance: "abc123", Now: now}); err != nil {
		t.Fatal(err)
	}
	cal3, err := emersion.NewDecoder(&again).Decode()
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range cal3.Events() {
		uid, _ := ev.Props.Text(emersion.PropUID)
		if !uids[uid] {
			t.Errorf("UID %s is new on the second run", uid)
		}
	}
}

// TestCalendarControlCharacters: a name stored before names were checked
// reaches no iCalendar value raw (RFC 5545 §3.3.11 allows only tab).
func TestCalendarControlCharacters(t *testing.T) {
	items := []vetting.Item{{ID: "rubric-2.0\x1b[2J", Kind: "rubric", Supplier: "Acme\x1b]0;x\x07", Title: "rubric 2.0\x1b[2J released", Detail: "a\x9bb", Rule: "r", State: "open",
		Date: vetting.Date{Year: 2026, Month: 3, Day: 1}, Day: "2026-03-01"}}
	var buf bytes.Buffer
	if err := vetting.WriteCalendar(&buf, items, vetting.CalendarOptions{Instance: "i", Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	out := strings.ReplaceAll(buf.String(), "\r\n", "\n")
	for _, r := range out {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			t.Fatalf("calendar holds control character %U:\n%s", r, out)
		}
	}
	if !strings.Contains(out, `\u001b[2J`) {
		t.Errorf("the escape is not shown visibly:\n%s", out)
	}
}
