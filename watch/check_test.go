package watch_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// TestEndToEnd: the fixture server serves IMS Global's policy as of an
// injected date. add, check, the policy changes, check → exactly one
// change, classified as the diff classifies it; check again → only a
// fetch record.
func TestEndToEnd(t *testing.T) {
	clk := &clock{t: time.Date(2019, 6, 1, 12, 0, 0, 0, time.UTC)}
	srv := httptest.NewServer(fixtures.Handler(clk.Now))
	defer srv.Close()
	c := newChecker(t, clk, fetch.Options{})
	ctx := t.Context()
	src := addSource(t, c, "ims", srv.URL+"/ims/privacy")

	r := mustCheck(t, c, src)
	if r.Fetch.Outcome != store.OutcomeNew || r.Version != 1 || r.Change != nil {
		t.Fatalf("first check: %+v", r.Fetch)
	}
	clk.Advance(24 * time.Hour)
	r = mustCheck(t, c, src)
	if r.Fetch.Outcome != store.OutcomeNotModified || r.Version != 1 {
		t.Fatalf("unchanged check: got %s, want %s", r.Fetch.Outcome, store.OutcomeNotModified)
	}
	beforeChange := clk.Now()

	// The 2022 rewrite goes live.
	clk.Set(time.Date(2022, 6, 1, 12, 0, 0, 0, time.UTC))
	r = mustCheck(t, c, src)
	if r.Fetch.Outcome != store.OutcomeChanged || r.Change == nil || r.Version != 2 {
		t.Fatalf("check after the rewrite: outcome %s, change %v", r.Fetch.Outcome, r.Change)
	}
	changes, err := c.Store.Changes(ctx, store.ChangeFilter{})
	if err != nil || len(changes) != 1 {
		t.Fatalf("changes: got %d (%v), want exactly 1", len(changes), err)
	}
	ch := changes[0]

	// The recorded classification is the diff's on the same two pages.
	want := diff.Compare(fixtureDoc(t, "pages/ims/2019-05-06.html"), fixtureDoc(t, "pages/ims/2022-05-17.html"), nil)
	if ch.Revet != want.Revet || ch.Summary != want.Summary || !want.Revet {
		t.Errorf("change: revet %v %q; diff says revet %v %q", ch.Revet, ch.Summary, want.Revet, want.Summary)
	}
	stored, err := c.Store.Blob(ctx, ch.DiffSHA256)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(want)
	if string(stored) != string(wantJSON) {
		t.Errorf("stored diff differs from diff.Compare's")
	}
	// The change happened after the last fetch of the old text and by the
	// first fetch of the new one: both are recorded.
	if !ch.After.Before(ch.Detected) || ch.After.Before(beforeChange.Add(-time.Minute)) || ch.Detected.Before(time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("change interval (%v, %v]", ch.After, ch.Detected)
	}
	versions, _ := c.Store.Versions(ctx, src.ID)
	if len(versions) != 2 || versions[1].FirstFetch == versions[1].LastFetch {
		t.Fatalf("versions: %+v", versions)
	}
	// The version starts at the first sighting, not the confirmation.
	fetches, _ := c.Store.Fetches(ctx, src.ID, time.Time{}, time.Time{}, 0)
	if len(fetches) != 4 || fetches[2].Outcome != store.OutcomePending || versions[1].FirstFetch != fetches[2].ID {
		t.Errorf("fetches %v; version 2 first seen by fetch %d", outcomes(fetches), versions[1].FirstFetch)
	}

	// Unchanged: a fetch record, no version, no change.
	clk.Advance(24 * time.Hour)
	r = mustCheck(t, c, src)
	if r.Fetch.Outcome != store.OutcomeNotModified && r.Fetch.Outcome != store.OutcomeUnchanged {
		t.Errorf("check after the change: %s", r.Fetch.Outcome)
	}
	versions2, _ := c.Store.Versions(ctx, src.ID)
	changes2, _ := c.Store.Changes(ctx, store.ChangeFilter{})
	fetches2, _ := c.Store.Fetches(ctx, src.ID, time.Time{}, time.Time{}, 0)
	if len(versions2) != 2 || len(changes2) != 1 || len(fetches2) != len(fetches)+1 {
		t.Errorf("after an unchanged check: %d versions, %d changes, %d fetches (was %d)", len(versions2), len(changes2), len(fetches2), len(fetches))
	}
	if versions2[1].LastFetch != fetches2[len(fetches2)-1].ID {
		t.Errorf("last seen not extended to the latest fetch")
	}
}

func fixtureDoc(t *testing.T, name string) *extract.Document {
	t.Helper()
	data, err := fsRead(name)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := extract.Bytes(data, extract.Options{ContentType: "text/html; charset=utf-8"})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func outcomes(fs []store.Fetch) []store.Outcome {
	var out []store.Outcome
	for _, f := range fs {
		out = append(out, f.Outcome)
	}
	return out
}

// TestChangeBack: a text that returns to an earlier version is a flip
// until it has been seen three fetches in a row; then it is recorded as a
// change back, saying so.
func TestChangeBack(t *testing.T) {
	a, _ := fsRead("pages/ims/2019-05-06.html")
	b, _ := fsRead("pages/ims/2022-05-17.html")
	var serveB atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if serveB.Load() {
			w.Write(b)
			return
		}
		w.Write(a)
	}))
	defer srv.Close()
	clk := &clock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := newChecker(t, clk, fetch.Options{})
	src := addSource(t, c, "ims", srv.URL+"/privacy")
	mustCheck(t, c, src)
	serveB.Store(true)
	if r := mustCheck(t, c, src); r.Fetch.Outcome != store.OutcomeChanged || r.Version != 2 {
		t.Fatalf("to B: %s", r.Fetch.Outcome)
	}
	serveB.Store(false)
	var got []store.Outcome
	var last watch.Result
	for range 3 {
		last = mustCheck(t, c, src)
		got = append(got, last.Fetch.Outcome)
	}
	if want := []store.Outcome{store.OutcomeFlip, store.OutcomeFlip, store.OutcomeChanged}; !slices.Equal(got, want) {
		t.Fatalf("back to A: got %v, want %v", got, want)
	}
	if last.Change == nil || last.Version != 3 || !strings.HasPrefix(last.Change.Summary, "back to the text of version 1: Re-vet") {
		t.Errorf("change back: version %d, change %+v", last.Version, last.Change)
	}
	if notice := last.Notice; notice != "" {
		t.Errorf("the confirming fetch repeated a notice: %q", notice)
	}
}
