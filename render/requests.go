package render

import (
	"net/http"
	"sync"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
)

// requestLog follows a tab's network events: the requests the page made,
// how many are in flight, and the main document's response.
type requestLog struct {
	max   int
	frame cdp.FrameID // the tab's main frame (its target ID)

	mu       sync.Mutex
	reqs     []Resource
	index    map[network.RequestID]int
	dropped  int
	inflight map[network.RequestID]bool
	doc      *docResponse
}

// docResponse is the main frame's document response.
type docResponse struct {
	id     network.RequestID
	url    string
	status int
	header http.Header
}

func newRequestLog(max int, frame cdp.FrameID) *requestLog {
	return &requestLog{max: max, frame: frame, index: map[network.RequestID]int{}, inflight: map[network.RequestID]bool{}}
}

// event takes one network event.
func (l *requestLog) event(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		l.inflight[ev.RequestID] = true
		if ev.RedirectResponse != nil {
			if i, ok := l.index[ev.RequestID]; ok {
				l.reqs[i].Status = int(ev.RedirectResponse.Status)
			}
		}
		if len(l.reqs) >= l.max {
			l.dropped++
			return
		}
		l.index[ev.RequestID] = len(l.reqs)
		l.reqs = append(l.reqs, Resource{URL: ev.Request.URL, Method: ev.Request.Method, Type: string(ev.Type)})
	case *network.EventResponseReceived:
		if i, ok := l.index[ev.RequestID]; ok {
			l.reqs[i].Status = int(ev.Response.Status)
		}
		if ev.Type == network.ResourceTypeDocument && ev.FrameID == l.frame {
			h := http.Header{}
			for k, v := range ev.Response.Headers {
				if s, ok := v.(string); ok {
					h.Add(k, s)
				}
			}
			l.doc = &docResponse{id: ev.RequestID, url: ev.Response.URL, status: int(ev.Response.Status), header: h}
		}
	case *network.EventLoadingFinished:
		delete(l.inflight, ev.RequestID)
	case *network.EventLoadingFailed:
		delete(l.inflight, ev.RequestID)
		if i, ok := l.index[ev.RequestID]; ok {
			l.reqs[i].Error = ev.ErrorText
			if ev.BlockedReason != "" {
				l.reqs[i].Error += " (" + string(ev.BlockedReason) + ")"
			}
		}
	}
}

// inFlight counts the requests sent and not yet finished or failed.
func (l *requestLog) inFlight() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.inflight)
}

// document returns the main document's response, or nil.
func (l *requestLog) document() *docResponse {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.doc
}

// list returns a copy of the requests and the count dropped.
func (l *requestLog) list() ([]Resource, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Resource(nil), l.reqs...), l.dropped
}
