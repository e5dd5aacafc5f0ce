package web_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/web"
)

// TestReadingAidsPages: the change page of a rewrite (IMS 2002 → 2019)
// leads with the rewrite banner, the gist and the ranking; a small re-vet
// (COR 2016) has the gist and ranking without the banner; the feeds'
// summaries open with the rewrite or the top-ranked change.
func TestReadingAidsPages(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	rewrite, cor := h.changeOf(t, h.IMS, 2), h.changeOf(t, h.COR, 2)
	if !rewrite.Rewrite || len(rewrite.Gist) == 0 || len(rewrite.Rank) == 0 {
		t.Fatalf("the IMS 2002 → 2019 record: rewrite %v, gist %d bytes, rank %d bytes; want a rewrite with both", rewrite.Rewrite, len(rewrite.Gist), len(rewrite.Rank))
	}

	_, page := do(t, "GET", srv.URL+"/changes/"+strconvU(rewrite.ID), "", "", nil)
	banner, gist, ranked, list := strings.Index(page, `id="rewrite"`), strings.Index(page, `id="gist"`), strings.Index(page, `id="ranked"`), strings.Index(page, `class="group substantive"`)
	if banner < 0 || gist < banner || ranked < gist || list < ranked {
		t.Errorf("rewrite page: want banner, gist, ranking, then the clause list (at %d, %d, %d, %d)", banner, gist, ranked, list)
	}
	for _, want := range []string{"Rewritten — review as a new document", "privacy contact: webmaster@imsglobal.org → privacy@imsglobal.org", `<span class="dir identity">identity</span>`} {
		if !strings.Contains(page, want) {
			t.Errorf("rewrite page lacks %q", want)
		}
	}
	// A small re-vet: the gist and ranking, no banner.
	_, page = do(t, "GET", srv.URL+"/changes/"+strconvU(cor.ID), "", "", nil)
	if strings.Contains(page, `id="rewrite"`) || !strings.Contains(page, `id="gist"`) || !strings.Contains(page, "privacy contact: help@corclassrooms.org → privacy@corclassrooms.org") {
		t.Errorf("COR page: want the gist without a rewrite banner")
	}

	_, body := do(t, "GET", srv.URL+"/feed.json", "", "", nil)
	var feed struct {
		Items []struct {
			Summary string `json:"summary"`
			Change  struct {
				ID      uint64          `json:"id"`
				Rewrite bool            `json:"rewrite"`
				Rank    []diff.RankItem `json:"rank"`
			} `json:"_clausewatch"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &feed); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, it := range feed.Items {
		first := strings.SplitN(it.Summary, "\n", 2)[0]
		switch it.Change.ID {
		case rewrite.ID:
			seen++
			if !strings.HasPrefix(first, "Rewritten — review as a new document: ") || !it.Change.Rewrite {
				t.Errorf("rewrite summary opens %q", first)
			}
		case cor.ID:
			seen++
			if first != "Top change: identity · COR Privacy Policy › Contact: privacy contact now privacy@corclassrooms.org; privacy contact was help@corclassrooms.org" {
				t.Errorf("COR summary opens %q", first)
			}
			if len(it.Change.Rank) != 3 {
				t.Errorf("COR record ranks %d changes, want its 3", len(it.Change.Rank))
			}
		}
	}
	if seen != 2 {
		t.Errorf("the feed shows %d of the two changes", seen)
	}
	_, atom := do(t, "GET", srv.URL+"/feed.atom", "", "", nil)
	if !strings.Contains(atom, "<summary type=\"text\">Rewritten — review as a new document") {
		t.Error("the Atom summary does not open with the rewrite")
	}
}

// TestReadingAidsWebhook: a JSON webhook's payload carries the rewrite
// flag, the gist and the ranking; a Slack message lists the top three
// ranked changes.
func TestReadingAidsWebhook(t *testing.T) {
	h := newHistory(t)
	ctx := t.Context()
	rc, slack := &receiver{}, &receiver{}
	recv, slackSrv := httptest.NewServer(rc), httptest.NewServer(slack)
	defer recv.Close()
	defer slackSrv.Close()
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now,
		Webhooks: web.NewDeliverer(web.DelivererOptions{DB: h.DB, AllowPrivate: true})})
	tok := token(t, h.DB, "alice")
	for _, body := range []string{`{"url":"` + recv.URL + `/hook"}`, `{"url":"` + slackSrv.URL + `","format":"slack"}`} {
		if resp, out := do(t, "POST", srv.URL+"/api/webhooks", tok, body, nil); resp.StatusCode != 201 {
			t.Fatalf("add webhook: %d %s", resp.StatusCode, out)
		}
	}
	// A new rewrite: another copy of the IMS page, 2002 text → 2019 text.
	h.Clock.Set(day("2003-01-01"))
	extra := h.add(t, store.Source{Name: "ims-again", URL: h.Fixture.URL + "/ims/privacy?copy=1", Supplier: "1EdTech Consortium"})
	h.Checker.Check(ctx, extra)
	h.Clock.Set(day("2019-06-01"))
	h.Checker.Check(ctx, extra)
	d := web.NewDeliverer(web.DelivererOptions{DB: h.DB, BaseURL: "https://cw.example", Now: h.Clock.Now, AllowPrivate: true})
	d.Deliver(ctx)

	got := rc.deliveries()
	if len(got) != 1 {
		t.Fatalf("%d JSON deliveries, want 1", len(got))
	}
	var p struct {
		Change struct {
			Rewrite bool            `json:"rewrite"`
			Gist    *diff.Gist      `json:"gist"`
			Rank    []diff.RankItem `json:"rank"`
		} `json:"change"`
	}
	if err := json.Unmarshal(got[0].body, &p); err != nil {
		t.Fatal(err)
	}
	if !p.Change.Rewrite || p.Change.Gist == nil || len(p.Change.Gist.Facts) == 0 || len(p.Change.Rank) != 5 {
		t.Errorf("payload: rewrite %v, gist %+v, %d ranked; want a rewrite, its gist and 5 ranked", p.Change.Rewrite, p.Change.Gist, len(p.Change.Rank))
	}
	sl := slack.deliveries()
	if len(sl) != 1 {
		t.Fatalf("%d Slack deliveries, want 1", len(sl))
	}
	var msg struct{ Text string }
	json.Unmarshal(sl[0].body, &msg)
	if !strings.Contains(msg.Text, "*Rewritten — review as a new document") || strings.Count(msg.Text, "\n• ") != 3 || !strings.Contains(msg.Text, "\n• identity") {
		t.Errorf("Slack text: want the rewrite line and 3 ranked lines, got\n%s", msg.Text)
	}
}
