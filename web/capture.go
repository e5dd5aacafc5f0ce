package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// renderStatus is the source page's account of how a source is read:
// its render mode, whether it needs a browser and why (in the words
// 'clausewatch sources' prints: watch.BrowserStatusOf), and links to its
// last raw capture (the document as the server sent it) and its last
// rendered capture (the DOM a browser built from it).
type renderStatus struct {
	watch.BrowserStatus
	Raw, Rendered *captureLink
}

// captureLink points at one stored capture of a fetch.
type captureLink struct {
	Fetch uint64
	Start time.Time
	Href  string
}

// Which capture of a fetch a link serves.
const (
	captureRaw      = "raw"
	captureRendered = "rendered"
)

func linkTo(src store.Source, f store.Fetch, which string) *captureLink {
	return &captureLink{Fetch: f.ID, Start: f.Start, Href: fmt.Sprintf("/sources/%d/fetches/%d/%s?at=%d", src.ID, f.ID, which, f.Start.UnixNano())}
}

// renderStatusOf finds the source's status and last captures among its
// recent fetches, newest first.
func (s *Server) renderStatusOf(ctx context.Context, src store.Source, st store.State, recent []store.Fetch) (renderStatus, error) {
	rs := renderStatus{BrowserStatus: watch.BrowserStatusOf(src, st)}
	for _, f := range recent {
		if rs.Rendered == nil && f.RenderSHA256 != "" && f.BodySHA256 != "" {
			rs.Rendered = linkTo(src, f, captureRendered)
		}
		if rs.Raw == nil {
			doc, err := s.rawOf(ctx, f)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return rs, err
			}
			if doc != "" {
				rs.Raw = linkTo(src, f, captureRaw)
			}
		}
		if rs.Raw != nil && rs.Rendered != nil {
			break
		}
	}
	return rs, nil
}

// rawOf is the blob of a fetch's raw capture: the body as the server sent
// it — a plain fetch's body, or the document a rendered fetch's browser
// received (its render capture says which); "" when none was kept.
func (s *Server) rawOf(ctx context.Context, f store.Fetch) (string, error) {
	if f.RenderSHA256 == "" {
		return f.BodySHA256, nil
	}
	data, err := s.db.Blob(ctx, f.RenderSHA256)
	if err != nil {
		return "", fmt.Errorf("render capture of fetch %d: %w", f.ID, err)
	}
	var rc store.RenderCapture
	if err := json.Unmarshal(data, &rc); err != nil {
		return "", fmt.Errorf("render capture of fetch %d: %w: %v", f.ID, store.ErrCorrupt, err)
	}
	return rc.DocumentSHA256, nil
}

// fetchCapture serves a fetch's raw or rendered capture as inert text,
// as the raw capture of a version is served.
func (s *Server) fetchCapture(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	src, err := s.db.Source(ctx, r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, "capture", err)
		return
	}
	id, ok := idParam(r, "fetch")
	at, err := strconv.ParseInt(r.URL.Query().Get("at"), 10, 64)
	which := r.PathValue("which")
	if !ok || err != nil || (which != captureRaw && which != captureRendered) {
		s.fail(w, r, http.StatusNotFound, "capture: not found")
		return
	}
	f, err := s.db.FetchAt(ctx, src.ID, time.Unix(0, at), id)
	if err != nil {
		s.failErr(w, r, "capture", err)
		return
	}
	hash := f.BodySHA256
	if which == captureRaw {
		if hash, err = s.rawOf(ctx, f); err != nil {
			s.failErr(w, r, "capture", err)
			return
		}
	} else if f.RenderSHA256 == "" {
		hash = "" // a plain fetch has no rendered capture
	}
	if hash == "" {
		s.fail(w, r, http.StatusNotFound, fmt.Sprintf("capture: fetch %d kept no %s capture", f.ID, which))
		return
	}
	body, err := s.db.Blob(ctx, hash)
	if err != nil {
		s.failErr(w, r, "capture", err)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Capture-SHA256", hash)
	if r.URL.Query().Get("download") == "1" {
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-fetch%d-%s-%s.html"`, url.PathEscape(src.Name), f.ID, which, hash[:12]))
	}
	w.Write(body)
}
