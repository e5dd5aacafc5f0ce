package render

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The browser's processes, read from /proc (Linux; elsewhere the lists
// are empty and memory is 0, and the memory ceiling never recycles).

// procInfo is one process's facts from /proc/<pid>/stat.
type procInfo struct {
	pid, ppid int
	state     byte // 'R', 'S', 'Z', ...
}

// readStat reads /proc/<pid>/stat.
func readStat(pid int) (procInfo, bool) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procInfo{}, false
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 || i+4 > len(data) {
		return procInfo{}, false
	}
	fields := strings.Fields(string(data[i+2:]))
	if len(fields) < 2 {
		return procInfo{}, false
	}
	ppid, _ := strconv.Atoi(fields[1])
	return procInfo{pid: pid, ppid: ppid, state: fields[0][0]}, true
}

// allProcs lists every process this user can see.
func allProcs() []procInfo {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []procInfo
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readStat(pid); ok {
			out = append(out, p)
		}
	}
	return out
}

// descendants returns root and every process below it.
func descendants(root int) []int {
	children := map[int][]int{}
	for _, p := range allProcs() {
		children[p.ppid] = append(children[p.ppid], p.pid)
	}
	out := []int{root}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// treeMemory is the memory of root's process tree in bytes: the sum of
// each process's proportional set size (shared pages split among the
// processes sharing them), or of its resident set where PSS is not
// available.
func treeMemory(root int) int64 {
	if root <= 0 {
		return 0
	}
	var total int64
	for _, pid := range descendants(root) {
		total += procMemory(pid)
	}
	return total
}

// procMemory is one process's PSS (or RSS) in bytes.
func procMemory(pid int) int64 {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	if f, err := os.Open(filepath.Join(dir, "smaps_rollup")); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "Pss:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				return kb << 10
			}
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "statm"))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data))
	if len(fields) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(fields[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// markedProcs lists the live (not zombie) processes whose environment
// holds marker: every process a browser started with that marker, its
// children included, wherever they were re-parented.
func markedProcs(marker string) []int {
	var out []int
	want := []byte(marker)
	for _, p := range allProcs() {
		if p.state == 'Z' {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.pid), "environ"))
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if bytes.Equal(kv, want) {
				out = append(out, p.pid)
				break
			}
		}
	}
	return out
}

// zombieChildren lists the zombie children of pid.
func zombieChildren(pid int) []int {
	var out []int
	for _, p := range allProcs() {
		if p.ppid == pid && p.state == 'Z' {
			out = append(out, p.pid)
		}
	}
	return out
}
