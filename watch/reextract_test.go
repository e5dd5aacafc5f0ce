package watch_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/store"
)

// TestReextract replays the stored bodies with different reading rules
// (here, a source selector that drops every list,
// standing in for an extractor improvement): the rebuilt
// versions keep the fetch intervals, carry the extractor version, are
// marked as re-extractions, and the feed still shows only the one real
// policy change.
func TestReextract(t *testing.T) {
	clk := &clock{t: time.Date(2019, 6, 1, 12, 0, 0, 0, time.UTC)}
	srv := httptest.NewServer(fixtures.Handler(clk.Now))
	defer srv.Close()
	c := newChecker(t, clk, fetch.Options{})
	ctx := t.Context()
	src := addSource(t, c, "ims", srv.URL+"/ims/privacy")
	for _, day := range []time.Time{
		time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2019, 7, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2022, 7, 1, 0, 0, 0, 0, time.UTC),
	} {
		clk.Set(day)
		mustCheck(t, c, src)
	}
	before, _ := c.Store.Versions(ctx, src.ID)

	src.Remove = []string{"ul"}
	if err := c.Store.UpdateSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	rb, err := c.Reextract(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if rb.Versions != 2 || rb.Changes != 1 || rb.Before != 2 || rb.Generation != 2 || rb.Fetches != 2 {
		t.Errorf("rebuilt: %+v", rb)
	}
	after, _ := c.Store.Versions(ctx, src.ID)
	if len(after) != 2 {
		t.Fatalf("versions after: %d", len(after))
	}
	for i := range after {
		a, b := after[i], before[i]
		if !a.Reextracted || a.Extractor != extract.Version || a.Generation != 2 ||
			!a.FirstSeen.Equal(b.FirstSeen) || !a.LastSeen.Equal(b.LastSeen) || a.FirstFetch != b.FirstFetch {
			t.Errorf("version %d: rebuilt %+v from %+v", i+1, a, b)
		}
		if a.TextSHA256 == b.TextSHA256 || a.Words >= b.Words {
			t.Errorf("version %d: the new reading rules changed nothing (%d words, was %d)", i+1, a.Words, b.Words)
		}
	}
	feed, _ := c.Store.Changes(ctx, store.ChangeFilter{})
	all, _ := c.Store.Changes(ctx, store.ChangeFilter{Reextracted: true})
	if len(feed) != 1 || feed[0].Reextracted || len(all) != 2 || !all[1].Reextracted {
		t.Errorf("feed %d changes, all %d", len(feed), len(all))
	}
	// Checks go on against the rebuilt generation: an unchanged page is
	// still unchanged, not a change.
	clk.Set(time.Date(2022, 8, 1, 0, 0, 0, 0, time.UTC))
	src, _ = c.Store.Source(ctx, "ims")
	r := mustCheck(t, c, src)
	if r.Fetch.Outcome != store.OutcomeUnchanged && r.Fetch.Outcome != store.OutcomeNotModified {
		t.Errorf("check after reextract: %s %s", r.Fetch.Outcome, r.Fetch.Reason)
	}
	if feed, _ := c.Store.Changes(ctx, store.ChangeFilter{}); len(feed) != 1 {
		t.Errorf("feed after the check: %d changes", len(feed))
	}
}
