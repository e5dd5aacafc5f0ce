package store

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// residentByBucket says which top-level buckets the pages of path that
// are resident in this process (in bbolt's map of it) belong to, in MB,
// largest first: the map's ranges from /proc/self/maps, each page's
// present bit from /proc/self/pagemap, each page's bucket from a walk of
// the file's tree. What TestSimulatedYear's child prints after its
// round, to say where its file-backed RSS is.
func residentByBucket(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", err
	}
	m, err := readMeta(f, info.Size())
	if err != nil {
		return "", err
	}
	owner := make([]string, m.hwm)
	w := newWalker(f, m.pageSize, m.hwm)
	w.visited = func(bucket string, page uint64) {
		top, _, _ := strings.Cut(bucket, "/")
		owner[page] = top
	}
	w.walk(m.root)
	ranges, err := fileMaps(path)
	if err != nil {
		return "", err
	}
	pagemap, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return "", err
	}
	defer pagemap.Close()
	const vmPage = 4096
	bytesBy := map[string]int64{}
	for _, r := range ranges {
		n := (r.end - r.start) / vmPage
		entries := make([]byte, 8*n)
		if _, err := pagemap.ReadAt(entries, int64(r.start/vmPage*8)); err != nil {
			return "", fmt.Errorf("pagemap: %w", err)
		}
		for i := range n {
			if binary.LittleEndian.Uint64(entries[8*i:])&(1<<63) == 0 {
				continue
			}
			page := (r.offset + i*vmPage) / uint64(m.pageSize)
			name := "(free or meta)"
			if page < m.hwm && owner[page] != "" {
				name = owner[page]
			} else if page < m.hwm && page >= 2 {
				name = "(free)"
			}
			bytesBy[name] += vmPage
		}
	}
	names := make([]string, 0, len(bytesBy))
	for k := range bytesBy {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int { return int(bytesBy[b] - bytesBy[a]) })
	var parts []string
	for _, k := range names[:min(8, len(names))] {
		parts = append(parts, fmt.Sprintf("%s %.1f", k, float64(bytesBy[k])/1e6))
	}
	return strings.Join(parts, ", "), nil
}

// mapRange is a range of this process's address space mapping a file.
type mapRange struct{ start, end, offset uint64 }

// fileMaps lists the ranges of /proc/self/maps that map path.
func fileMaps(path string) ([]mapRange, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []mapRange
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[5] != path {
			continue
		}
		lo, hi, _ := strings.Cut(fields[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		off, err3 := strconv.ParseUint(fields[2], 16, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("/proc/self/maps: %q", sc.Text())
		}
		out = append(out, mapRange{start, end, off})
	}
	return out, sc.Err()
}
