package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/watch"
)

// TestQueuesFlag: --queues is read on a PostgreSQL worker only, and a
// worker without the render queue gets no browser and leaves renders to
// others, whatever Chromium the machine has.
func TestQueuesFlag(t *testing.T) {
	for _, tc := range []struct {
		spec, role string
		pg         bool
		want       []string
		err        string
	}{
		{"", roleWorker, true, nil, ""},
		{"checks", roleWorker, true, []string{"checks"}, ""},
		{"render, checks,render", roleAll, true, []string{"render", "checks"}, ""},
		{"checks", roleWeb, true, nil, "--queues is for a worker"},
		{"checks", roleAll, false, nil, "--queues is for a worker"},
		{"chromium", roleWorker, true, nil, `no queue "chromium"`},
	} {
		got, err := parseQueues(tc.spec, tc.pg, tc.role)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseQueues(%q, %v, %s): %v, want an error with %q", tc.spec, tc.pg, tc.role, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseQueues(%q, %v, %s) = %v, %v; want %v", tc.spec, tc.pg, tc.role, got, err, tc.want)
		}
	}
	var c watch.Checker
	b, err := browserForQueues(&c, []string{"checks"}, false, nil)
	if err != nil || b != nil || c.Renderer != nil || !c.RenderElsewhere {
		t.Fatalf("--queues checks: browser %v, renderer %v, elsewhere %v, %v; want none, renders left to others", b, c.Renderer, c.RenderElsewhere, err)
	}
	c = watch.Checker{}
	if _, err := browserForQueues(&c, []string{"render"}, true, nil); err == nil || !strings.Contains(err.Error(), "needs headless Chromium") {
		t.Fatalf("--queues render --no-browser: %v; want a refusal", err)
	}
}
