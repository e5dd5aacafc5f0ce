package watch

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
)

// A check handed on to a worker with the browser (decision record 0050)
// carries the plain fetch that found it needs one, so that the worker
// with the browser renders the page without fetching it plainly again:
// the page is fetched once per check, as on a worker that has both.

// RenderElsewhereError is the ErrRenderElsewhere of a check that fetched
// the page plainly first: Plain is that fetch and Err its error (an
// HTTP error status), for the worker the check is handed on to.
type RenderElsewhereError struct {
	Plain *fetch.Capture
	Err   error
}

func (e *RenderElsewhereError) Error() string        { return ErrRenderElsewhere.Error() }
func (e *RenderElsewhereError) Is(target error) bool { return target == ErrRenderElsewhere }

// HandOverMaxAge is how old a handed-on plain fetch may be and still be
// read instead of fetching again: a render job that waited longer (no
// worker with the browser for a while) fetches the page afresh.
const HandOverMaxAge = time.Hour

// handedPlain is a plain fetch handed on, read at most once.
type handedPlain struct {
	capture *fetch.Capture
	err     error
	used    atomic.Bool
}

type handedKey struct{}

// WithHandedPlain returns a context whose check of the page capture is
// of reads capture (and its fetch error ferr) as its plain fetch instead
// of fetching the page: once, and only when nothing was recorded for the
// source since capture was made and it is less than HandOverMaxAge old.
func WithHandedPlain(ctx context.Context, capture *fetch.Capture, ferr error) context.Context {
	if capture == nil {
		return ctx
	}
	return context.WithValue(ctx, handedKey{}, &handedPlain{capture: capture, err: ferr})
}

// plainFetch is the plain fetch of req: the one handed on with the check
// when there is one that still holds, else a fetch.
func (c *Checker) plainFetch(ctx context.Context, cur current, req fetch.Request) (*fetch.Capture, error) {
	h, _ := ctx.Value(handedKey{}).(*handedPlain)
	if h != nil && h.capture.URL == req.URL && h.capture.Start.After(cur.state.LastFetch) &&
		c.now().Sub(h.capture.Start) < HandOverMaxAge && h.used.CompareAndSwap(false, true) {
		return h.capture, h.err
	}
	return c.Client.Fetch(ctx, req)
}

// HandedError is a handed-on fetch's error read back from its text: an
// HTTP error status (the one error a check is handed on with) is still
// fetch.ErrStatus.
type HandedError struct {
	Text   string
	Status bool
}

func (e *HandedError) Error() string        { return e.Text }
func (e *HandedError) Is(target error) bool { return e.Status && target == fetch.ErrStatus }

// HandedErrorOf is err as a HandedError's fields: its text, and whether
// it is an HTTP error status. A nil err gives "", false.
func HandedErrorOf(err error) (text string, status bool) {
	if err == nil {
		return "", false
	}
	return err.Error(), errors.Is(err, fetch.ErrStatus)
}
