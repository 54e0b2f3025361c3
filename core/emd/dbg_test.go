package emd

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"
)

func TestDbgPhases(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("DBG_N"))
	if n == 0 {
		t.Skip()
	}
	xs, xt := clusteredFeatures(n, n, 19, uint64(n*1000+n+19))
	cost := sqDistCost(xs, xt, n, n, 19)
	ctx := context.Background()
	for _, w := range []int{1, 2} {
		t0, c0 := time.Now(), cpuTime()
		st, _ := scanCost(ctx, cost, n, n, w)
		t1, c1 := time.Now(), cpuTime()
		a := NewAuction(n)
		cache := NewBidCache(0, n, bidCacheSize)
		rounds, _ := a.run(ctx, cost, w, st.max-st.min, cache)
		t2, c2 := time.Now(), cpuTime()
		p, _ := a.finish(ctx, cost, w, cache, tightTol(st.absMax))
		t3, c3 := time.Now(), cpuTime()
		p.Method = "auction"
		err := certify(ctx, cost, n, n, p, w, st.absMax)
		t4, c4 := time.Now(), cpuTime()
		t.Logf("workers %d: scan %v/%v run %v/%v (%d rounds) finish %v/%v cert %v/%v %v", w, t1.Sub(t0), c1-c0, t2.Sub(t1), c2-c1, rounds, t3.Sub(t2), c3-c2, t4.Sub(t3), c4-c3, err)
	}
}
