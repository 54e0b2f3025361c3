//go:build js && wasm

package main

import "testing"

func TestGCPercentFor(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, gcPercent},
		{4 * mib, gcPercent},  // small: the default
		{80 * mib, gcPercent}, // 10 % is 8 MiB: still the default
		{160 * mib, 5},        // 8 MiB of 160
		{400 * mib, 2},        // 8 MiB of 400
		{2000 * mib, 1},       // never below 1
	} {
		if got := gcPercentFor(c.live); got != c.want {
			t.Errorf("gcPercentFor(%d MiB) = %d, want %d", c.live/mib, got, c.want)
		}
	}
}
