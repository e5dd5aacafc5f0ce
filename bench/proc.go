package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// procIO is write_bytes from /proc/<pid>/io: the bytes the process caused
// to be sent to the storage layer (page-cache pages it dirtied).
func procIO(pid int) (int64, error) {
	v, err := procField(fmt.Sprintf("/proc/%d/io", pid), "write_bytes:")
	if err != nil {
		return 0, err
	}
	return v, nil
}

// memory is a process's memory as /proc/<pid>/status gives it, in kB.
type memory struct {
	HWM, RSS, Anon, File int64
}

// procMemory reads VmHWM (peak RSS), VmRSS, RssAnon and RssFile.
func procMemory(pid int) (memory, error) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	var m memory
	for _, f := range []struct {
		name string
		v    *int64
	}{{"VmHWM:", &m.HWM}, {"VmRSS:", &m.RSS}, {"RssAnon:", &m.Anon}, {"RssFile:", &m.File}} {
		v, err := procField(path, f.name)
		if err != nil {
			return m, err
		}
		*f.v = v
	}
	return m, nil
}

// procField reads the number after name in a /proc file of "name value"
// lines (a trailing "kB" is dropped).
func procField(path, name string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), name)
		if !ok {
			continue
		}
		v, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %s: %w", path, name, err)
		}
		return v, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s: no %s line", path, name)
}

// loadAverage is the first three fields of /proc/loadavg.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	fields := strings.Fields(string(data))
	if len(fields) < 3 {
		return "unknown"
	}
	return strings.Join(fields[:3], " ")
}

// clockTick is USER_HZ, the unit of /proc/<pid>/stat's CPU times: 100 on
// every Linux platform Go supports.
const clockTick = 10 * time.Millisecond

// procCPU is the CPU time (user + system) the process has used, from
// fields 14 and 15 of /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	_, rest, ok := strings.Cut(string(data), ") ")
	fields := strings.Fields(rest)
	if !ok || len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	var ticks int64
	for _, f := range fields[11:13] { // utime, stime: fields 14 and 15
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += v
	}
	return time.Duration(ticks) * clockTick, nil
}
