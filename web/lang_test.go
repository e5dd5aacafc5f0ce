package web_test

import (
	"html"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
	"github.com/clausewatch/clausewatch/web"
)

// Two policies of our own making, served without <html lang>: German,
// which the rules read, and Italian, which they do not.
const (
	pageDE = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Datenschutz</title></head><body><main>
<h1>Datenschutzerklärung</h1>
<h2>1. Welche Daten wir erheben</h2>
<p>Wir erheben Ihren Namen, Ihre E-Mail-Adresse und die Angaben, die Sie in Ihrem Profil machen, und speichern Ihre IP-Adresse in Server-Logfiles.</p>
<h2>2. Weitergabe an Dritte</h2>
<p>Wir geben Ihre Daten nicht an Dritte weiter. Unser Hosting-Dienstleister in Deutschland verarbeitet Ihre Daten nur nach unserer Weisung.</p>
<h2>3. Ihre Rechte</h2>
<p>Sie haben das Recht auf Auskunft, Berichtigung und Löschung Ihrer Daten sowie das Recht, sich bei einer Aufsichtsbehörde zu beschweren.</p>
</main></body></html>`
	pageIT = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Privacy</title></head><body><main>
<h1>Informativa sulla privacy</h1>
<h2>1. Dati raccolti</h2>
<p>Raccogliamo il nome, l'indirizzo e-mail e le informazioni che l'utente inserisce nel proprio profilo, insieme all'indirizzo IP del dispositivo.</p>
<h2>2. Comunicazione a terzi</h2>
<p>Non vendiamo i dati personali degli utenti a terzi e non li comunichiamo a partner pubblicitari senza il loro consenso esplicito.</p>
<h2>3. Diritti</h2>
<p>L'utente può chiedere l'accesso, la rettifica e la cancellazione dei propri dati e proporre reclamo al Garante per la protezione dei dati personali.</p>
</main></body></html>`
)

// TestLanguagePages: the source page names the language of the version in
// force; the version page names a stored document's language
// and marks its text with it; the change page names the language the
// change was judged in, and for a language without rules says it was not
// judged. Each policy is watched for real: served on 127.0.0.1 with a
// Content-Language header, checked into a bbolt file, then changed.
func TestLanguagePages(t *testing.T) {
	cases := []struct {
		name, lang, page, from, to string
		change                     []string // on the change page besides the language
	}{
		{"German", "de", pageDE, "Wir geben Ihre Daten nicht an Dritte weiter.", "Wir geben Ihre Daten an Werbepartner weiter.",
			[]string{"Re-vet", "nicht"}},
		{"Italian, no rules", "it", pageIT, "Non vendiamo i dati personali", "Possiamo vendere i dati personali",
			[]string{"not judged — review (no rules for it)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var edited atomic.Bool
			site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Header().Set("Content-Language", tc.lang)
				page := tc.page
				if edited.Load() {
					page = strings.Replace(page, tc.from, tc.to, 1)
				}
				w.Write([]byte(page))
			}))
			defer site.Close()
			clk := fixtures.NewClock(day("2025-03-01"))
			db, err := store.Open(filepath.Join(t.TempDir(), "web.db"), store.Options{Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			c := &watch.Checker{Store: db, Client: fetch.NewClient(fetch.Options{Backoff: time.Millisecond, Now: clk.Tick}),
				Policy: watch.Policy{ConfirmDelay: time.Nanosecond}, Now: clk.Tick}
			src, err := db.AddSource(t.Context(), store.Source{Name: "policy-" + tc.lang, URL: site.URL + "/privacy", Supplier: "Beispiel",
				Kind: store.Privacy, Origin: "cli", AllowPrivate: true})
			if err != nil {
				t.Fatal(err)
			}
			if r := c.Check(t.Context(), src); r.Err != nil || r.Fetch.Outcome != store.OutcomeNew {
				t.Fatalf("first check: %v %s", r.Err, r.Fetch.Outcome)
			}
			edited.Store(true)
			clk.Set(day("2025-04-01"))
			r := c.Check(t.Context(), src)
			if r.Err != nil || r.Change == nil {
				t.Fatalf("second check: %v %s %s", r.Err, r.Fetch.Outcome, r.Fetch.Reason)
			}

			srv := serve(t, web.Options{DB: db, OpenRead: true, Now: clk.Now})
			for _, p := range []struct {
				path string
				want []string
			}{
				{"/sources/" + strconvU(src.ID), []string{`<dt>Language</dt><dd id="lang">` + tc.lang + "</dd>"}},
				{"/sources/" + strconvU(src.ID) + "/versions/2", []string{"language " + tc.lang, `<div class="policy" lang="` + tc.lang + `">`}},
				{"/changes/" + strconvU(r.Change.ID), append([]string{"<dt>Language</dt><dd>" + tc.lang + "</dd>"}, tc.change...)},
			} {
				resp, body := do(t, "GET", srv.URL+p.path, "", "", nil)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: %d", p.path, resp.StatusCode)
				}
				body = html.UnescapeString(body)
				for _, w := range p.want {
					if !strings.Contains(body, html.UnescapeString(w)) {
						t.Errorf("GET %s: no %q", p.path, w)
					}
				}
			}
		})
	}
}
