package vetting

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode"

	ics "github.com/arran4/golang-ical"
)

// CalendarOptions identify the calendar and its events.
type CalendarOptions struct {
	// Instance makes event UIDs unique to this database and stable across
	// runs (store.DB.Instance).
	Instance string
	// BaseURL, when set, gives each event a link to its supplier's page.
	BaseURL string
	// Now stamps the events (DTSTAMP).
	Now time.Time
}

// WriteCalendar writes items as an iCalendar (RFC 5545) feed for staff
// calendars: each an all-day event on its day (the window's last day, the
// renewal day, the rubric release), and each renewal's notice date as an
// event of its own. Event UIDs depend only on the item, so a calendar that
// subscribes to the feed updates events in place as their state changes.
func WriteCalendar(w io.Writer, items []Item, opt CalendarOptions) error {
	cal := ics.NewCalendar()
	cal.SetMethod(ics.MethodPublish)
	cal.SetProductId("-//clausewatch//seal program deadlines//EN")
	cal.SetName("clausewatch deadlines")
	cal.SetXWRCalName("clausewatch deadlines")
	cal.SetRefreshInterval("PT1H")
	add := func(uid string, day Date, summary, desc, supplier string) {
		ev := cal.AddEvent(icsText(fmt.Sprintf("%s.%s@clausewatch", uid, opt.Instance)))
		ev.SetDtStampTime(opt.Now.UTC())
		start := time.Date(day.Year, day.Month, day.Day, 0, 0, 0, 0, time.UTC)
		ev.SetAllDayStartAt(start)
		ev.SetAllDayEndAt(start.AddDate(0, 0, 1))
		ev.SetSummary(icsText(summary))
		ev.SetDescription(icsText(desc))
		ev.SetTimeTransparency(ics.TransparencyTransparent)
		if opt.BaseURL != "" {
			ev.SetURL(opt.BaseURL + "/suppliers/" + url.PathEscape(supplier))
		}
	}
	for _, it := range items {
		sum := sha256.Sum256([]byte(it.Supplier))
		uid := fmt.Sprintf("%s.%x", it.ID, sum[:6])
		add(uid, it.Date, fmt.Sprintf("[%s] %s", it.State, it.Title), it.Detail+"\n\nRule: "+it.Rule, it.Supplier)
		if it.Kind == "renewal" && it.Notice != "" {
			notice, err := ParseDate(it.Notice)
			if err != nil {
				return err
			}
			add(uid+".notice", notice, fmt.Sprintf("%s: send the renewal notice (review on %s)", it.Supplier, it.Day),
				fmt.Sprintf("The supplier is notified %d days before the renewal on %s.\n\nRule: %s", NoticeDays, it.Day, it.Rule), it.Supplier)
		}
	}
	// RFC 5545 lines end in CRLF; the library defaults to LF.
	if err := cal.SerializeTo(w, ics.WithNewLine("\r\n")); err != nil {
		return fmt.Errorf("write calendar: %w", err)
	}
	return nil
}

// icsText makes s fit an iCalendar value: RFC 5545 §3.3.11 allows no
// control character but tab in TEXT (the library escapes line breaks), so
// every other one — from a name or rubric version stored before names were
// checked — is written as a visible \uXXXX.
func icsText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
