package store

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// RenderMode says when a source is read in a headless browser.
type RenderMode string

// The render modes.
const (
	// RenderAuto (the default, also written "") renders when the plain
	// fetch shows the marks of a page that needs a browser, keeps the
	// rendered text only when it adds policy text, and remembers a source
	// that needs it (State.NeedsRender).
	RenderAuto RenderMode = "auto"
	// RenderNever never renders.
	RenderNever RenderMode = "never"
	// RenderAlways always renders.
	RenderAlways RenderMode = "always"
)

// valid refuses a mode that is not one of the three (or empty).
func (m RenderMode) valid() error {
	switch m {
	case "", RenderAuto, RenderNever, RenderAlways:
		return nil
	}
	return fmt.Errorf("%w: render %q (want auto, never or always)", ErrInvalid, string(m))
}

// ParseRenderMode reads a render mode as written in a watchlist, a flag
// or the API; "" is RenderAuto.
func ParseRenderMode(s string) (RenderMode, error) {
	m := RenderMode(s)
	if s == "" {
		m = RenderAuto
	}
	return m, m.valid()
}

// RenderCapture is what a browser saw of a page, stored as a JSON blob
// that a rendered fetch names (Fetch.RenderSHA256; the fetch's body is
// the rendered DOM). Its blobs are content-addressed like the body.
type RenderCapture struct {
	V int `json:"v"`
	// Browser is the browser's product and version.
	Browser string `json:"browser"`
	// Wait says how the render waited ("load, then text settled after 4
	// looks 250ms apart (3 quiet)"); Settled is false when the bound
	// was reached first.
	Wait    string `json:"wait"`
	Settled bool   `json:"settled"`
	// Why says why the page was rendered ("render: always", "remembered:
	// the source needs a browser", or what the plain fetch showed).
	Why string `json:"why"`
	// DocumentSHA256 is the blob of the document's response body as the
	// browser received it, with its status and headers.
	DocumentSHA256 string              `json:"document_sha256,omitempty"`
	DocumentStatus int                 `json:"document_status,omitempty"`
	DocumentHeader map[string][]string `json:"document_header,omitempty"`
	// DOMSHA256 is the rendered DOM's blob (the fetch's body).
	DOMSHA256    string `json:"dom_sha256"`
	DOMTruncated bool   `json:"dom_truncated,omitempty"`
	// Requests are the requests the page made (Dropped counts those not
	// listed), Refused the connections the SSRF guard refused.
	Requests []RenderRequest `json:"requests,omitempty"`
	Dropped  int             `json:"dropped,omitempty"`
	Refused  []string        `json:"refused,omitempty"`
	// Plain is the plain fetch that led to the render (render: auto).
	Plain *PlainFetch `json:"plain,omitempty"`
	// Start and End bound the render.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// RenderRequest is one request a rendered page made.
type RenderRequest struct {
	URL    string `json:"url"`
	Method string `json:"method,omitempty"`
	Type   string `json:"type,omitempty"`
	Status int    `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// PlainFetch is the plain fetch a render: auto source made first.
type PlainFetch struct {
	Status     int    `json:"status,omitempty"`
	BodySHA256 string `json:"body_sha256,omitempty"`
	BodySize   int    `json:"body_size,omitempty"`
	Words      int    `json:"words"`
	// Reason is why it was not enough.
	Reason string `json:"reason"`
}

// PutBlobs stores each of data as a content-addressed blob (those
// already stored are left alone) in one transaction, and returns their
// keys. A rendered fetch stores its capture's blobs this way before its
// Record: a blob no fetch names is harmless.
func (d *DB) PutBlobs(ctx context.Context, data ...[]byte) ([]string, error) {
	keys := make([]string, len(data))
	pending := make([]pendingBlob, len(data))
	for i, b := range data {
		keys[i] = Hash(b)
		pb, err := d.encodeBlob(b, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("put blobs: %w", err)
		}
		pending[i] = pb
	}
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		bb := tx.Bucket(bucketBlobs)
		for _, pb := range pending {
			if bb.Get(pb.key) != nil {
				continue
			}
			if err := bb.Put(pb.key, pb.value); err != nil {
				return fmt.Errorf("put blob: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("put blobs: %w", err)
	}
	return keys, nil
}
