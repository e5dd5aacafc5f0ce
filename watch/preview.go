package watch

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
)

// Preview is what a first check of a source would see now: the fetch as
// it would be recorded and the document its settings read, with the
// same page read without them. Nothing of it is stored.
type Preview struct {
	// Fetch is the fetch as a first check would record it: outcome new
	// when the page reads as a policy, else failed or suspect with the
	// reason a check would give.
	Fetch store.Fetch
	// Doc is the document as the source's select, remove and section
	// read it; nil when the page could not be read that way.
	Doc *extract.Document
	// Whole is the same page read with none of them (the generic
	// main-content reading); nil when that fails too. With Doc it shows
	// what the settings keep and drop.
	Whole *extract.Document
	// Rendered is true when the page was read in the browser (the
	// source's render mode asked for it, or a plain fetch showed signs).
	Rendered bool
}

// Preview fetches src once, through the same client, renderer and
// decision a check uses, as the first check of a new source would, and
// records nothing: no fetch, no blob, no state. src need not be stored
// (its ID is not used). Only ctx's error is returned; a site's failure
// is in Preview.Fetch.
func (c *Checker) Preview(ctx context.Context, src store.Source) (Preview, error) {
	cur := current{state: store.State{Generation: 1, Health: store.HealthOK}}
	req := fetch.Request{URL: src.URL, AllowPrivate: src.AllowPrivate}
	d, _, err := c.get(ctx, src, cur, req)
	if err != nil {
		return Preview{}, err
	}
	p := Preview{Fetch: d.record.Fetch, Rendered: d.record.Fetch.RenderSHA256 != ""}
	body := d.record.Body
	if len(body) == 0 {
		return p, nil
	}
	h := http.Header(p.Fetch.Header)
	ct, lang := h.Get("Content-Type"), h.Get("Content-Language")
	if p.Rendered {
		ct = "text/html; charset=utf-8"
	}
	if doc, err := extract.Bytes(body, extractOptions(src, ct, lang)); err == nil {
		p.Doc = doc
	} else if p.Fetch.Error == "" {
		p.Fetch.Error = err.Error()
	}
	if doc, err := extract.Bytes(body, extractOptions(store.Source{}, ct, lang)); err == nil {
		p.Whole = doc
	} else if !errors.Is(err, extract.ErrEmpty) && p.Doc == nil {
		p.Fetch.Error = fmt.Sprintf("%s; without select, remove and section: %v", p.Fetch.Error, err)
	}
	return p, nil
}
