package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/warc"
)

// renderedCapture makes c, a rendered fetch's capture, hold both
// captures: its response record is the document as the browser got it
// (status, headers, body), and the rendered DOM the fetch's body holds
// (what the clauses were read from) follows as a conversion record
// referring to it; the render capture (the DOM's hash, the requests the
// page made, the browser and the wait) goes into its metadata record.
// When the browser did not keep the document's body, the response is
// marked truncated; a DOM cut at the render's bound is marked so too.
func renderedCapture(ctx context.Context, db store.Store, f store.Fetch, c *warc.Capture) error {
	data, err := db.Blob(ctx, f.RenderSHA256)
	if err != nil {
		return fmt.Errorf("fetch %d: render capture: %w", f.ID, err)
	}
	var rc store.RenderCapture
	if err := json.Unmarshal(data, &rc); err != nil {
		return fmt.Errorf("fetch %d: render capture %s: %w: %v", f.ID, f.RenderSHA256, store.ErrCorrupt, err)
	}
	if len(c.Body) > 0 {
		c.Conversion = &warc.Conversion{ContentType: cmp.Or(http.Header(f.Header).Get("Content-Type"), "text/html; charset=utf-8"), Block: c.Body}
		if rc.DOMTruncated {
			c.Conversion.Truncated = "length"
		}
	}
	c.Status, c.Header, c.Body, c.Truncated = rc.DocumentStatus, rc.DocumentHeader, nil, "unspecified"
	if rc.DocumentSHA256 != "" {
		if c.Body, err = db.Blob(ctx, rc.DocumentSHA256); err != nil {
			return fmt.Errorf("fetch %d: document: %w", f.ID, err)
		}
		c.Truncated = ""
	}
	c.Metadata["render"] = rc
	return nil
}
