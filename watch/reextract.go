package watch

import (
	"time"

	"context"
	"encoding/json"
	"fmt"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/store"
)

// Rebuilt is what Reextract made of one source's history.
type Rebuilt struct {
	Source     store.Source
	Generation uint64
	// Fetches is how many stored bodies were read again.
	Fetches int
	// Versions and Changes count the rebuilt history; Before is how many
	// versions the previous generation had.
	Versions, Changes, Before int
}

// Reextract reads every stored raw body of src that was the policy (new,
// changed and unchanged fetches, and the pending sightings before a
// change) with the current extractor and rebuilds the version history as
// a new generation: consecutive fetches with the same text are one
// version; a new text starts the next. Failed, suspect and flip fetches
// stay out, as they were. Every rebuilt version and change is marked as a
// re-extraction, so none reaches the change feed as a policy change. The
// old generation is kept.
func (c *Checker) Reextract(ctx context.Context, src store.Source) (Rebuilt, error) {
	out := Rebuilt{Source: src}
	st, err := c.Store.State(ctx, src.ID)
	if err != nil {
		return out, err
	}
	old, err := c.Store.GenerationVersions(ctx, src.ID, st.Generation)
	if err != nil {
		return out, err
	}
	out.Before = len(old)
	fetches, err := c.Store.Fetches(ctx, src.ID, time.Time{}, time.Time{}, 0)
	if err != nil {
		return out, err
	}
	type reading struct {
		doc  *extract.Document
		text string
		json []byte
	}
	cache := map[string]reading{} // by body hash
	read := func(f store.Fetch) (reading, error) {
		if r, ok := cache[f.BodySHA256]; ok {
			return r, nil
		}
		body, err := c.Store.Blob(ctx, f.BodySHA256)
		if err != nil {
			return reading{}, err
		}
		doc, err := extract.Bytes(body, extractOptions(src, contentType(f), headerValue(f, "Content-Language")))
		if err != nil {
			return reading{}, fmt.Errorf("fetch %d: %w", f.ID, err)
		}
		data, _ := json.Marshal(doc)
		r := reading{doc: doc, text: TextHash(doc), json: data}
		cache[f.BodySHA256] = r
		return r, nil
	}

	var gen store.Generation
	var docs []*extract.Document
	var pending *store.Fetch
	var pendingText string
	for i := range fetches {
		f := fetches[i]
		switch {
		case f.Outcome == store.OutcomePending && f.BodySHA256 != "":
			r, err := read(f)
			if err != nil {
				return out, err
			}
			pending, pendingText = &fetches[i], r.text
			continue
		case f.Outcome == store.OutcomeNotModified:
			if n := len(gen.Versions); n > 0 {
				gen.Versions[n-1].LastSeen, gen.Versions[n-1].LastFetch = f.Start, f.ID
			}
			continue
		case !f.Outcome.Good() || f.BodySHA256 == "":
			continue
		}
		out.Fetches++
		r, err := read(f)
		if err != nil {
			return out, err
		}
		n := len(gen.Versions)
		if n > 0 && gen.Versions[n-1].TextSHA256 == r.text {
			gen.Versions[n-1].LastSeen, gen.Versions[n-1].LastFetch = f.Start, f.ID
			pending = nil
			continue
		}
		v := store.Version{Seq: uint64(n + 1), TextSHA256: r.text, DocSHA256: store.Hash(r.json), BodySHA256: f.BodySHA256,
			FirstSeen: f.Start, FirstFetch: f.ID, LastSeen: f.Start, LastFetch: f.ID, Extractor: extract.Version, Reading: readingOf(src, contentType(f)),
			Title: r.doc.Title, Updated: r.doc.Updated, Clauses: len(r.doc.Clauses), Words: wordCount(r.doc)}
		if pending != nil && pendingText == r.text {
			v.FirstSeen, v.FirstFetch = pending.Start, pending.ID
		}
		pending = nil
		gen.Versions = append(gen.Versions, v)
		gen.Blobs = append(gen.Blobs, r.json)
		if n > 0 {
			result := diff.Compare(docs[n-1], r.doc, c.Rules)
			data, _ := json.Marshal(result)
			ch := changeOf(result)
			ch.From, ch.To = uint64(n), v.Seq
			ch.After, ch.Detected = gen.Versions[n-1].LastSeen, v.FirstSeen
			ch.DiffSHA256 = store.Hash(data)
			gen.Changes = append(gen.Changes, *ch)
			gen.Blobs = append(gen.Blobs, data)
		}
		docs = append(docs, r.doc)
	}
	out.Versions, out.Changes = len(gen.Versions), len(gen.Changes)
	if out.Versions == 0 {
		return out, nil // nothing good was ever fetched: nothing to rebuild
	}
	out.Generation, err = c.Store.ReplaceGeneration(ctx, src.ID, st.Rev, gen)
	return out, err
}

// contentType is the Content-Type a fetch came with.
func contentType(f store.Fetch) string { return headerValue(f, "Content-Type") }

// headerValue returns the first value of a response header kept with a
// fetch, or "".
func headerValue(f store.Fetch, name string) string {
	if vs := f.Header[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}
