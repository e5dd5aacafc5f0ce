package main

import (
	"log/slog"
	"slices"
	"strings"

	"github.com/clausewatch/clausewatch/jobs"
	"github.com/clausewatch/clausewatch/render"
	"github.com/clausewatch/clausewatch/watch"
)

// parseQueues reads serve's --queues: the River queues a worker on
// PostgreSQL takes jobs from, "checks", "render" or both (the default,
// ""). Decision record 0050.
func parseQueues(spec string, pg bool, role string) ([]string, error) {
	if spec == "" {
		return nil, nil
	}
	if !pg || !runs(role, roleWorker) {
		return nil, usageError("serve: --queues is for a worker on PostgreSQL (--db postgres://… with --role worker or all)")
	}
	var qs []string
	for q := range strings.SplitSeq(spec, ",") {
		q = strings.TrimSpace(q)
		if q != jobs.Queue && q != jobs.RenderQueue {
			return nil, usageError("serve: --queues: no queue %q (want %s, %s or both, comma-separated)", q, jobs.Queue, jobs.RenderQueue)
		}
		if !slices.Contains(qs, q) {
			qs = append(qs, q)
		}
	}
	return qs, nil
}

// browserForQueues gives checker its browser as the worker's queues say:
// none, and renders left to other workers, without the render queue;
// Chromium, which a render-only worker cannot do without, with it. The
// browser returned (nil when none) is the caller's to close.
func browserForQueues(checker *watch.Checker, queues []string, noBrowser bool, log *slog.Logger) (*render.Browser, error) {
	if len(queues) > 0 && !slices.Contains(queues, jobs.RenderQueue) {
		checker.RenderElsewhere = true // never starts a browser
		return nil, nil
	}
	b := newBrowser(noBrowser, log)
	if b != nil {
		checker.Renderer = b
		return b, nil
	}
	if len(queues) > 0 && !slices.Contains(queues, jobs.Queue) {
		return nil, usageError("serve: --queues %s needs headless Chromium (install chromium, and drop --no-browser)", jobs.RenderQueue)
	}
	return nil, nil
}
