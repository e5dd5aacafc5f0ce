// Package vetting holds the seal program's rules: the 10-day update window
// after a vetting notification, the annual renewal on the award date with
// notice 60 days before, re-vetting on a new rubric release, evidence bundles
// and renewal reports.
//
// Not built yet: this is the subject of the "Vetting workflows" and
// "Evidence" issues.
package vetting
