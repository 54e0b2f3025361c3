package main

import (
	"fmt"

	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/otce"
)

// repetitionBytes estimates the peak memory of one repetition of n pixels
// per domain (fewer when a domain has fewer valid pixels) of dimension d in
// this process: the solver's kernel, vectors and features (ot.MemoryBytes),
// the two samples as float32 and the target's copy in the solver's order
// (4·(ns + 2·nt)·d), and the sampler's fixed read buffers.
func repetitionBytes(n int, j *otce.Job) int64 {
	ns, nt := min(int64(n), j.Source.Valid), min(int64(n), j.Target.Valid)
	d := int64(j.Source.Dim)
	return ot.MemoryBytes(int(ns), int(nt), int(d)) + 4*(ns+2*nt)*d + 32<<20
}

// checkMemory refuses, before any sampling, a job whose repetition would not
// fit in the memory available to this process (availableBytes; no check
// where it is unknown), naming the largest N that fits.
func checkMemory(j *otce.Job) error {
	avail := availableBytes()
	if avail <= 0 {
		return nil
	}
	n := j.Settings.N
	need := repetitionBytes(n, j)
	if need <= avail {
		return nil
	}
	lo, hi := 0, n
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if repetitionBytes(mid, j) <= avail {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	msg := fmt.Sprintf("N = %d pixels of %d channels needs about %s, more than the %s available", n, j.Source.Dim, gb(need), gb(avail))
	if lo > 0 {
		return fmt.Errorf("%s: the largest N that fits is %d (-n %d)", msg, lo, lo)
	}
	return fmt.Errorf("%s, even for N = 1", msg)
}

func gb(b int64) string {
	if b >= 1<<30 {
		return fmt.Sprintf("%.1f GB", float64(b)/(1<<30))
	}
	return fmt.Sprintf("%d MB", b>>20)
}
