package web_test

import (
	"encoding/json"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/web"
)

// TestTriageHistory: each decision is kept, oldest first, with who made
// it, when, from which state to which and the note; the change page lists
// them (escaped) and GET /api/changes/{id} returns them. Only reviewers
// and admins are offered the triage form; a viewer is told why not.
func TestTriageHistory(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	rita := roleToken(t, h.DB, "rita", store.RoleReviewer)
	ada := token(t, h.DB, "ada")
	vic := roleToken(t, h.DB, "vic", store.RoleViewer)
	c := h.changeOf(t, h.IMS, 3)
	path := "/changes/" + itoa(c.ID)
	steps := []struct {
		tok, body string
		want      int
	}{
		{rita, `{"state":"revet","note":"sharing <b>widened</b>; PV-12"}`, 200},
		{vic, `{"state":"dismissed"}`, 403},
		{ada, `{"state":"dismissed","note":"supplier withdrew it"}`, 200},
		{rita, `{"state":"reviewed"}`, 200},
	}
	for i, st := range steps {
		if resp, body := do(t, "POST", srv.URL+"/api"+path+"/triage", st.tok, st.body, nil); resp.StatusCode != st.want {
			t.Fatalf("step %d: %d %s, want %d", i, resp.StatusCode, body, st.want)
		}
		h.Clock.Set(h.Clock.Now().Add(time.Hour))
	}
	want := []struct{ by, from, to, note string }{
		{"rita", "new", "revet", "sharing <b>widened</b>; PV-12"},
		{"ada", "revet", "dismissed", "supplier withdrew it"},
		{"rita", "dismissed", "reviewed", ""},
	}

	_, body := do(t, "GET", srv.URL+"/api"+path, "", "", nil)
	var got struct {
		Triage        store.Triage        `json:"triage"`
		TriageHistory []store.TriageEntry `json:"triage_history"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("GET /api%s: %v", path, err)
	}
	if len(got.TriageHistory) != len(want) || got.Triage.State != store.TriageReviewed {
		t.Fatalf("API history %+v, triage %+v", got.TriageHistory, got.Triage)
	}
	for i, w := range want {
		e := got.TriageHistory[i]
		if e.By != w.by || string(e.From) != w.from || string(e.To) != w.to || e.Note != w.note ||
			(i > 0 && !e.At.After(got.TriageHistory[i-1].At)) {
			t.Errorf("API history[%d] = %+v, want %+v", i, e, w)
		}
	}

	_, page := do(t, "GET", srv.URL+path, "", "", map[string]string{"Accept": "text/html"})
	list := regexp.MustCompile(`(?s)<ol class="triage-history" id="triage-history">(.*?)</ol>`).FindStringSubmatch(page)
	if list == nil {
		t.Fatalf("no triage history on the change page:\n%.3000s", page)
	}
	if strings.Contains(list[1], "<b>") || !strings.Contains(list[1], "&lt;b&gt;widened") {
		t.Errorf("the note is not escaped: %s", list[1])
	}
	items := regexp.MustCompile(`(?s)<li>(.*?)</li>`).FindAllStringSubmatch(list[1], -1)
	if len(items) != len(want) {
		t.Fatalf("%d history items, want %d: %s", len(items), len(want), list[1])
	}
	tags := regexp.MustCompile(`<[^>]+>`)
	for i, w := range want {
		text := html.UnescapeString(tags.ReplaceAllString(items[i][1], ""))
		line := w.by + " moved it from " + w.from + " to " + w.to
		if w.note != "" {
			line += ": " + w.note
		}
		if !strings.HasSuffix(text, line) {
			t.Errorf("history item %d: %q, want …%q", i, text, line)
		}
	}

	// The form is offered by role.
	for _, c := range []struct {
		tok        string
		form, hint bool
	}{{vic, false, true}, {rita, true, false}, {ada, true, false}} {
		cookie, _ := signIn(t, srv.URL, c.tok)
		_, page := do(t, "GET", srv.URL+path, "", "", map[string]string{"Cookie": cookie.String(), "Accept": "text/html"})
		if form := strings.Contains(page, `class="triage-form"`); form != c.form {
			t.Errorf("%.8s…: triage form shown %v, want %v", c.tok, form, c.form)
		}
		if hint := strings.Contains(page, "triage needs the reviewer or admin role"); hint != c.hint {
			t.Errorf("%.8s…: role hint shown %v, want %v", c.tok, hint, c.hint)
		}
	}
}
