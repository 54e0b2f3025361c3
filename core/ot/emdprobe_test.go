package ot

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/otceseg/otceseg/core/emd"
)

func TestEMDProbe(t *testing.T) {
	if os.Getenv("OTCE_PROBE") == "" {
		t.Skip()
	}
	p := clustered(3, 1000, 1000, 19, 19, 19, 4)
	lb := NewLocalBlocks(p, 2)
	lb.Do(&Op{Kind: OpCost})
	c := make([]float32, 0, p.N*p.M)
	for _, b := range lb.Blocks {
		c = append(c, b.buf...)
	}
	for _, m := range []string{"jv", "auction"} {
		t0 := time.Now()
		pl, err := emd.Solve(context.Background(), c, p.N, p.M, emd.Options{Method: m})
		if err != nil {
			t.Fatal(err)
		}
		joint := make([]float64, p.La*p.Lb)
		for k := range pl.Rows {
			joint[int(p.Ys[pl.Rows[k]])*p.Lb+int(p.Yt[pl.Cols[k]])] += pl.Mass[k]
		}
		t.Logf("%s: cost %.6f CE %.6f iters %d %v", m, pl.Cost, ConditionalEntropy(joint, p.La, p.Lb), pl.Iterations, time.Since(t0))
	}
}
