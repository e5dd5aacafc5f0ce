package evidence

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"strings"
	"time"
)

//go:embed summary.html.tmpl
var summaryTemplate string

// renderSummary renders the summary page a reviewer opens: what the bundle
// shows, how to check it, what it proves and what it cannot. It reads the
// manifest only (without its file list), so Verify can render it again.
func renderSummary(m Manifest) ([]byte, error) {
	loc, err := time.LoadLocation(m.Notification.Zone)
	if err != nil {
		loc = time.UTC
	}
	funcs := template.FuncMap{
		"local": func(t time.Time) string { return t.In(loc).Format("Mon 2 Jan 2006 15:04:05 MST") },
		"utc":   func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
		"upper": strings.ToUpper,
		"role": func(r string) string {
			switch r {
			case RoleBefore:
				return "Last capture before the notification"
			case RoleAfter:
				return "First capture showing the change"
			case RoleLast:
				return "Latest capture (no change)"
			}
			return r
		},
	}
	t, err := template.New("summary").Funcs(funcs).Parse(summaryTemplate)
	if err != nil {
		return nil, fmt.Errorf("summary template: %w", err)
	}
	var b bytes.Buffer
	data := struct {
		M      Manifest
		Limits []string
	}{m, limits}
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("render the summary: %w", err)
	}
	return b.Bytes(), nil
}
