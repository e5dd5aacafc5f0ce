// Package web serves the change feed: HTML pages, Atom and JSON feeds, the
// JSON API, webhooks, health and metrics.
//
// Not built yet: this is the subject of the "change feed" issue.
package web
