package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// pgMeter measures what a round costs PostgreSQL: the CPU time of the
// server's processes (when it runs on this machine) and the bytes its
// tables grew by.
type pgMeter struct {
	pool       *pgxpool.Pool
	postmaster int // 0: not on this machine (no CPU figure)
}

// newPGMeter finds the server's postmaster: the parent of the backend
// serving a connection, when /proc shows that backend (a server on this
// machine).
func newPGMeter(ctx context.Context, pool *pgxpool.Pool) (*pgMeter, error) {
	m := &pgMeter{pool: pool}
	var backend int
	if err := pool.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		return nil, fmt.Errorf("PostgreSQL's backend: %w", err)
	}
	if st, err := readStat(backend); err == nil {
		m.postmaster = st.ppid
	}
	return m, nil
}

// pgSample is the meter's reading at one moment.
type pgSample struct {
	cpu        map[int]time.Duration // per live server process
	reaped     time.Duration         // the postmaster's waited-for children's (exited backends)
	store, all int64                 // bytes: clausewatch's tables and indexes, and every relation (River's too)
}

func (m *pgMeter) sample(ctx context.Context) (pgSample, error) {
	s := pgSample{cpu: map[int]time.Duration{}}
	err := m.pool.QueryRow(ctx, `SELECT
		coalesce(sum(pg_total_relation_size(c.oid)) FILTER (WHERE c.relname NOT LIKE 'river%'), 0)::bigint,
		coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`).Scan(&s.store, &s.all)
	if err != nil {
		return s, fmt.Errorf("table sizes: %w", err)
	}
	if m.postmaster == 0 {
		return s, nil
	}
	pm, err := readStat(m.postmaster)
	if err != nil {
		return s, err
	}
	s.cpu[m.postmaster], s.reaped = pm.cpu, pm.children
	pids, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range pids {
		pid, _ := strconv.Atoi(filepath.Base(p))
		if st, err := readStat(pid); err == nil && st.ppid == m.postmaster {
			s.cpu[pid] = st.cpu
		}
	}
	return s, nil
}

// cpuSince is the server's CPU time between two samples: every live
// process's growth, plus what backends that exited in between used
// (their whole time is in the postmaster's children's; the part before
// the first sample is taken off).
func (s pgSample) cpuSince(before pgSample) time.Duration {
	d := s.reaped - before.reaped
	for pid, t := range s.cpu {
		d += t - before.cpu[pid]
	}
	for pid, t := range before.cpu {
		if _, live := s.cpu[pid]; !live {
			d -= t
		}
	}
	return d
}

// procStat is what the harness reads of /proc/<pid>/stat.
type procStat struct {
	ppid          int
	cpu, children time.Duration // user + system, own and waited-for children's
}

func readStat(pid int) (procStat, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	return parseStat(string(data))
}

// parseStat reads a /proc/<pid>/stat line: ppid is field 4, utime and
// stime 14 and 15, cutime and cstime 16 and 17.
func parseStat(line string) (procStat, error) {
	i := strings.LastIndex(line, ") ") // the command (field 2) may hold spaces and parentheses
	fields := strings.Fields(line[i+1:])
	if i < 0 || len(fields) < 15 {
		return procStat{}, fmt.Errorf("stat line: too few fields")
	}
	var v [5]int64
	for i, f := range []int{1, 11, 12, 13, 14} {
		n, err := strconv.ParseInt(fields[f], 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("stat line: field %d: %w", f+3, err)
		}
		v[i] = n
	}
	return procStat{ppid: int(v[0]), cpu: time.Duration(v[1]+v[2]) * clockTick, children: time.Duration(v[3]+v[4]) * clockTick}, nil
}
