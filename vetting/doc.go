// Package vetting applies the seal program's rules to the history the
// store keeps: the 10-day update window after a vetting notification, with
// expected-change tickets that close themselves on the capture proving
// them; the annual renewal on the award date with notice 60 days before;
// re-vetting on a new rubric release; named baselines and renewal reports;
// and the deadlines as a list and an iCalendar feed (decision record 0012).
//
// Evidence bundles and their verification are the subject of the next
// issue.
package vetting
