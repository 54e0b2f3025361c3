package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// availableBytes is the memory this process may still use: the least of
// the system's available memory (MemAvailable), the room left under the
// cgroup's limit (memory.max − memory.current) and under the address-space
// limit (RLIMIT_AS − VmSize); 0 when none is known.
func availableBytes() int64 {
	best := int64(0)
	take := func(v int64) {
		if v > 0 && (best == 0 || v < best) {
			best = v
		}
	}
	take(procKB("/proc/meminfo", "MemAvailable:") * 1024)
	if lim, ok := readInt("/sys/fs/cgroup/memory.max"); ok {
		if cur, ok := readInt("/sys/fs/cgroup/memory.current"); ok {
			take(max(lim-cur, 1))
		}
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &rl); err == nil && rl.Cur != ^uint64(0) && rl.Cur < 1<<62 {
		take(max(int64(rl.Cur)-procKB("/proc/self/status", "VmSize:")*1024, 1))
	}
	return best
}

// procKB reads the "key: N kB" line of a /proc file, or 0.
func procKB(path, key string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			v, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return v
		}
	}
	return 0
}

// readInt reads a file holding one integer ("max" is not one).
func readInt(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return v, err == nil
}
