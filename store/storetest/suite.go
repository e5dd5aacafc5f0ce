// Package storetest is the store's conformance suite: the behaviour every
// backend of store.Store must show, run against a constructor so that the
// same cases hold bbolt (package store) and PostgreSQL (package pgstore)
// to one contract. It uses the backend under test and nothing else: no
// mock anywhere.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/store"
)

// Options are what a case asks of the backend it opens.
type Options struct {
	// Now is the clock for recorded times.
	Now func() time.Time
}

// Opener opens a new, empty database for one case, and closes it in
// t.Cleanup.
type Opener func(t *testing.T, opts Options) store.Store

// Skips names cases a backend does not pass yet, with the reason: they
// are skipped with that reason, so a report lists them.
type Skips map[string]string

// Case is one behaviour of the contract.
type Case struct {
	Name string
	Run  func(t *testing.T, db store.Store, clock *Clock)
}

// Cases returns every case of the suite, in order.
func Cases() []Case {
	var all []Case
	for _, group := range [][]Case{sourceCases, historyCases, feedCases, scheduleCases, authCases, hookCases, mailCases, vettingCases, logCases} {
		all = append(all, group...)
	}
	return all
}

// Run runs every case against a fresh database from open, skipping those
// in skip with their reason. Cases run in parallel (each has its own
// database), up to -parallel at a time.
func Run(t *testing.T, open Opener, skip Skips) {
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			if why, ok := skip[c.Name]; ok {
				t.Skipf("not on this backend yet: %s", why)
			}
			clock := fixtures.NewClock(time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC))
			db := open(t, Options{Now: clock.Now})
			c.Run(t, db, clock)
			checkWhole(t, db)
		})
	}
}

// checkWhole runs the backend's own checks at the end of a case: every
// case leaves a database that Check and CheckLog pass.
func checkWhole(t *testing.T, db store.Store) {
	t.Helper()
	ctx := context.Background()
	if err := db.Check(ctx); err != nil {
		t.Errorf("consistency check after the case: %v", err)
	}
	rep, err := db.CheckLog(ctx)
	if err != nil || !rep.OK() {
		t.Errorf("log check after the case: %v %v", rep.Problems, err)
	}
}

// Clock is the suite's settable clock: the one the fixtures and the demo
// use.
type Clock = fixtures.Clock

// wantErr fails t unless err is target (errors.Is); target nil wants none.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	switch {
	case target == nil && err != nil:
		t.Errorf("%s: unexpected error %v", what, err)
	case target != nil && !errors.Is(err, target):
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

// must fails t at once on err.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// addSource adds a source named name under supplier sup.
func addSource(t *testing.T, db store.Store, name, sup string) store.Source {
	t.Helper()
	s, err := db.AddSource(t.Context(), store.Source{Name: name, URL: "https://" + name + ".example/privacy", Supplier: sup, Origin: "cli"})
	must(t, "add source "+name, err)
	return s
}

// fetch is one check to record for a source: what it saw.
type fetch struct {
	at   time.Time
	body string // "" for none (a failure)
	text string // the clause text's identity; "" for none
	// how the pipeline read it
	start, seen, change bool
	due                 *store.Due
}

// record writes one fetch with the source's current state, as the
// pipeline does: read the state, decide, Record.
func record(t *testing.T, db store.Store, src uint64, f fetch) (store.Fetch, *store.Change) {
	t.Helper()
	ctx := t.Context()
	st, err := db.State(ctx, src)
	must(t, "state", err)
	r := store.Record{State: st, Seen: f.seen, Due: f.due}
	r.Fetch = store.Fetch{SourceID: src, Start: f.at, End: f.at.Add(time.Second), URL: fmt.Sprintf("https://s%d.example/privacy", src), Outcome: store.OutcomeFailed}
	if f.body != "" {
		r.Body = []byte(f.body)
		r.Doc = []byte(`{"text":"` + f.text + `"}`)
		r.Fetch.Status, r.Fetch.Outcome, r.Fetch.TextSHA256 = 200, store.OutcomeUnchanged, store.Hash([]byte(f.text))
		r.Fetch.Header = map[string][]string{"Content-Type": {"text/html"}}
	}
	if f.start {
		r.Fetch.Outcome = store.OutcomeNew
		r.Start = &store.Version{TextSHA256: store.Hash([]byte(f.text)), Extractor: "test/1", Clauses: 1, Words: len(f.text)}
	}
	if f.change {
		r.Fetch.Outcome = store.OutcomeChanged
		r.Change = &store.Change{Revet: true, Summary: "changed to " + f.text, Reasons: []string{"why"}, DiffVersion: "d1", RulesVersion: "r1",
			Gist: json.RawMessage(rawGist), Rank: json.RawMessage(`[{"z":1},{"a":2}]`)}
		r.Diff = []byte(`{"diff":"` + f.text + `"}`)
	}
	out, ch, err := db.Record(ctx, r)
	must(t, "record", err)
	return out, ch
}

// rawGist is a change's gist as the diff writes it: raw JSON whose keys
// are not in sorted order, which a backend must keep byte for byte.
const rawGist = `{"facts":[{"kind":"contact","old":["a"],"new":["b"]}],"terms":[]}`
