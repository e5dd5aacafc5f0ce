package watch

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/clausewatch/clausewatch/store"
)

// HealthWords says in a few words how a source is being tracked, for
// lists where the full reason (store.State.HealthReason) is too long:
// "not checked yet", "ok", "needs a browser", "bot wall", "404 twice —
// page moved?". It reads the state's health (the word `clausewatch
// sources` prints) with the reason this package gave the last fetch
// (last may be nil: the state's reason is read instead).
func HealthWords(src store.Source, st store.State, last *store.Fetch) string {
	switch {
	case src.Archived:
		return "archived"
	case src.Paused:
		return "paused"
	case st.LastFetch.IsZero():
		return "not checked yet"
	}
	switch st.Health {
	case store.HealthOK, "":
		if st.Pending != nil {
			return "new text seen, awaiting confirmation"
		}
		return "ok"
	case store.HealthUnstable:
		return "text differs on every fetch"
	}
	reason, status := st.HealthReason, 0
	if last != nil && !last.Outcome.Good() {
		reason, status = last.Reason, last.Status
	}
	if status == http.StatusNotFound || status == http.StatusGone {
		return fmt.Sprintf("%d %s — page moved?", status, times(st.Failures))
	}
	for _, w := range healthPhrases {
		if strings.Contains(reason, w.sign) {
			return w.words
		}
	}
	if wall(reason) {
		return "bot wall"
	}
	if reason == "" {
		return string(st.Health)
	}
	if r, _, ok := strings.Cut(reason, ": "); ok && len(r) < len(reason) {
		reason = r
	}
	return reason
}

// healthPhrases map the reasons decide and get give to short words, the
// more telling first.
var healthPhrases = []struct{ sign, words string }{
	{"bot wall", "bot wall"},
	{"none is available here", "needs a browser (none installed)"},
	{"needs a browser", "needs a browser"},
	{"may need a browser", "may need a browser"},
	{"no policy text even in the browser", "no policy text, even in a browser"},
	{"the browser found no more policy text", "no policy text, even in a browser"},
	{"bot challenge", "bot wall"},
	{"login wall", "login wall"},
	{"cookie wall", "cookie wall"},
	{"error page", "error page"},
	{"redirected to another site", "moved to another site — page moved?"},
	{"redirected to the home page", "redirected to the home page — page moved?"},
	{`section "`, "section not found"},
	{"scanned PDF", "scanned PDF, no text"},
	{"SSRF guard", "private address refused"},
	{"text shrank", "text shrank"},
	{"too large for a policy", "too large for a policy"},
	{"too little text", "too little text"},
}

// times says n times in words: once, twice, 3 times.
func times(n int) string {
	switch n {
	case 0, 1:
		return "once"
	case 2:
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}
