//go:build unix

package main

import (
	"os"
	"syscall"
)

// maxRSS is the peak resident memory of a finished process in bytes
// (getrusage's ru_maxrss, which Linux counts in kilobytes).
func maxRSS(ps *os.ProcessState) int64 {
	return ps.SysUsage().(*syscall.Rusage).Maxrss * 1024
}

// mkfifo makes a named pipe (syscall.Mkfifo).
func mkfifo(path string, mode uint32) error { return syscall.Mkfifo(path, mode) }
