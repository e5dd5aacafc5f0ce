package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/warc"
)

// renderedCapture makes c, a rendered fetch's capture, say what the
// server sent: its response record is the document as the browser got it
// (status, headers, body), not the rendered DOM the fetch's body holds;
// the render capture (the DOM's hash, the requests the page made, the
// browser and the wait) goes into its metadata record. When the browser
// did not keep the document's body, the response is marked truncated.
func renderedCapture(ctx context.Context, db store.Store, f store.Fetch, c *warc.Capture) error {
	data, err := db.Blob(ctx, f.RenderSHA256)
	if err != nil {
		return fmt.Errorf("fetch %d: render capture: %w", f.ID, err)
	}
	var rc store.RenderCapture
	if err := json.Unmarshal(data, &rc); err != nil {
		return fmt.Errorf("fetch %d: render capture %s: %w: %v", f.ID, f.RenderSHA256, store.ErrCorrupt, err)
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
