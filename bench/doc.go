// Command bench measures the daemon as it is deployed: "clausewatch
// serve", built from this tree, in a process of its own, checking sources
// on a fixture server that runs in another process (this program run
// again with -fixture), spread over loopback hosts as real sources are
// spread over sites. Half the pages send an ETag and answer 304; half send
// none and come back 200 with the same 34 KB page, so every round after
// the first is all unchanged.
//
// Each round makes every source due (the harness writes the due times
// while no daemon runs), starts serve, and reads the daemon's own
// counters from /proc/<pid>: write_bytes in io (bytes it caused to be
// written to the disk: bbolt's pages and meta pages) between the log line
// "schedule synced" and the last check's "checked" line, and VmHWM (peak
// RSS), VmRSS, RssAnon and RssFile in status at that moment. Then it stops
// the daemon with SIGTERM.
//
// The modes are commit settings (decision record 0029), compared in one
// run on the same growing database, alternating round by round:
//
//	go run ./bench -sources 10000 -rounds 3 -modes 1,64
//
// "1" commits each check in its own transaction (one disk sync per
// check: the baseline); "64" is group commit; "64/20ms" waits up to
// 20 ms for a batch to fill.
package main
