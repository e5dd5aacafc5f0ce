// Package watch schedules and runs the checks: cron specs per source with
// next-due times kept in the store, a bounded worker pool, no overlapping runs
// of one source, and graceful shutdown.
//
// Not built yet: this is the subject of the "daemon" issue.
package watch
