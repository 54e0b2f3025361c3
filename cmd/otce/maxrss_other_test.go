//go:build !unix

package main

import (
	"errors"
	"os"
)

// maxRSS is 0 where the system does not report a process's peak memory
// (this file lets `GOOS=js go vet ./...` check the package).
func maxRSS(*os.ProcessState) int64 { return 0 }

// mkfifo fails where there are no named pipes.
func mkfifo(string, uint32) error { return errors.New("no named pipes on this system") }
