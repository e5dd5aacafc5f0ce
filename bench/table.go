package main

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// printTable prints the first round and, per mode, the median unchanged
// round (by wall time) with the peak RSS over all its rounds.
func printTable(w io.Writer, first round, rounds []round, modes []mode) {
	fmt.Fprintln(w, "| commit | rounds | round | µs/source | CPU µs/check: daemon + fixture | disk writes/check | DB growth/check | peak RSS (VmHWM) | RSS at end: anon + file | failed |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	row(w, "first round (new versions), "+label(first.mode), []round{first})
	for _, m := range modes {
		var mine []round
		for _, r := range rounds {
			if r.mode == m {
				mine = append(mine, r)
			}
		}
		row(w, label(m), mine)
	}
	fmt.Fprintln(w, "per round (in order run):")
	for i, r := range rounds {
		fmt.Fprintf(w, "  %d %-14s %7.2f s  CPU %5.0f + %4.0f µs/check  %8.1f KB/check  %6.0f B growth/check  VmHWM %4d MB  file %5.1f MB\n", i+1, label(r.mode),
			r.wall.Seconds(), float64(r.cpu/time.Microsecond)/float64(r.n), float64(r.fixtureCPU/time.Microsecond)/float64(r.n), float64(r.written)/float64(r.n)/1024, float64(r.grew)/float64(r.n), r.mem.HWM>>10, float64(r.fileSize)/(1<<20))
	}
}

func label(m mode) string {
	if m.batch == 1 {
		return "per check"
	}
	if m.delay > 0 {
		return fmt.Sprintf("group %d/%v", m.batch, m.delay)
	}
	return fmt.Sprintf("group %d", m.batch)
}

// row prints the median round of rs (by wall time) and the peak RSS of all.
func row(w io.Writer, name string, rs []round) {
	if len(rs) == 0 {
		return
	}
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b round) int { return int(a.wall - b.wall) })
	r := sorted[len(sorted)/2]
	var hwm int64
	failed := 0
	for _, x := range rs {
		hwm = max(hwm, x.mem.HWM)
		failed += x.failed
	}
	fmt.Fprintf(w, "| %s | %d | %.2f s | %.0f | %.0f + %.0f | %.1f KB | %.0f B | %d MB | %d + %d MB | %d |\n", name, len(rs), r.wall.Seconds(),
		float64(r.wall/time.Microsecond)/float64(r.n), float64(r.cpu/time.Microsecond)/float64(r.n), float64(r.fixtureCPU/time.Microsecond)/float64(r.n),
		float64(r.written)/float64(r.n)/1024, float64(r.grew)/float64(r.n),
		hwm>>10, r.mem.Anon>>10, r.mem.File>>10, failed)
}
