package ot

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/otceseg/otceseg/core/emd"
)

// workerBlocks is a BlockSet like the browser's: each "worker" builds its
// own Target and blocks (a contiguous run of the partition), and every op
// and reply is copied as if it crossed postMessage, so that no state is
// shared between the driver and the blocks.
type workerBlocks struct {
	workers [][]*Block
}

func newWorkerBlocks(p *Problem, workers int) *workerBlocks {
	part := Partition(p.N)
	w := &workerBlocks{workers: make([][]*Block, workers)}
	for k := range workers {
		t := NewTarget(p)
		for b := k * len(part) / workers; b < (k+1)*len(part)/workers; b++ {
			w.workers[k] = append(w.workers[k], NewBlock(p, t, part[b][0], part[b][1]))
		}
	}
	return w
}

func (w *workerBlocks) Do(op *Op) ([]*Reply, error) {
	var out []*Reply
	for _, blocks := range w.workers {
		o := *op // every worker decodes its own copy
		o.V, o.G, o.F = slices.Clone(op.V), slices.Clone(op.G), slices.Clone(op.F)
		o.Rows, o.Assigned, o.Prices = slices.Clone(op.Rows), slices.Clone(op.Assigned), slices.Clone(op.Prices)
		o.PriceCols, o.PriceVals = slices.Clone(op.PriceCols), slices.Clone(op.PriceVals)
		for _, b := range blocks {
			r, err := b.Do(&o)
			if err != nil {
				return nil, err
			}
			c := *r
			c.Rows, c.Cols, c.Values = slices.Clone(r.Rows), slices.Clone(r.Cols), slices.Clone(r.Values)
			c.Costs, c.AssignedCost = slices.Clone(r.Costs), slices.Clone(r.AssignedCost)
			out = append(out, &c)
		}
	}
	return out, nil
}

// exactOver computes the cost in the blocks of bs and solves the exact
// problem over them.
func exactOver(t *testing.T, bs BlockSet, p *Problem) *emd.Plan {
	t.Helper()
	if _, err := bs.Do(&Op{Kind: OpCost}); err != nil {
		t.Fatal(err)
	}
	plan, err := ExactOverBlocks(context.Background(), bs, p)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

func samePlan(a, b *emd.Plan) bool {
	bits := func(x []float64) []uint64 {
		out := make([]uint64, len(x))
		for i, v := range x {
			out[i] = math.Float64bits(v)
		}
		return out
	}
	return slices.Equal(a.Rows, b.Rows) && slices.Equal(a.Cols, b.Cols) &&
		slices.Equal(bits(a.Mass), bits(b.Mass)) && slices.Equal(bits(a.U), bits(b.U)) && slices.Equal(bits(a.V), bits(b.V)) &&
		math.Float64bits(a.Cost) == math.Float64bits(b.Cost) && a.Iterations == b.Iterations && a.Method == b.Method
}

// TestExactOverBlocks: the exact plan over the blocks is the same, bit for
// bit, with 1 goroutine, with several (which share out the busy blocks of
// the small bidding rounds too, localRows), and with blocks spread over
// "workers" that share nothing (an OpBid to every block each round, where
// LocalBlocks' rounds call the busy blocks directly: localRows; see also
// TestLocalRowsSameAsOpBid); it is optimal (its certificate holds on the
// dense cost) and its cost equals emd.Solve's within 1e-9 (relative), on
// the POT fixtures (square, and 300×240 gathered for the network simplex)
// and on clustered data split into the full 16 blocks.
func TestExactOverBlocks(t *testing.T) {
	problems := map[string]*Problem{}
	for _, name := range []string{"emd_n200_d8.json", "emd_n300_m240.json", "emd_n1000_d19.json", "emd_max_n300.json"} {
		problems[name] = loadFixture(t, name).problem()
	}
	problems["clustered-2000"] = clustered(3, 2000, 2000, 19, 19, 19, 4)
	for name, p := range problems {
		ref := NewLocalBlocks(p, 1)
		plan := exactOver(t, ref, p)
		reps, err := ref.Do(&Op{Kind: OpRows})
		if err != nil {
			t.Fatal(err)
		}
		var dense []float32
		for _, r := range reps {
			dense = append(dense, r.Costs...)
		}
		for _, bs := range []BlockSet{NewLocalBlocks(p, 4), newWorkerBlocks(p, 3), newWorkerBlocks(p, 1)} {
			if other := exactOver(t, bs, p); !samePlan(plan, other) {
				t.Errorf("%s: the plan over %T differs from the one over LocalBlocks with 1 goroutine (cost %.17g, %.17g)", name, bs, other.Cost, plan.Cost)
			}
		}
		want, err := emd.Solve(context.Background(), dense, p.N, p.M, emd.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if d := math.Abs(plan.Cost - want.Cost); d > 1e-9*math.Abs(want.Cost) {
			t.Errorf("%s: cost %.17g over the blocks, %.17g by emd.Solve", name, plan.Cost, want.Cost)
		}
		inf, slack, err := emd.Certificate(context.Background(), dense, p.N, p.M, plan, 2)
		if err != nil {
			t.Fatal(err)
		}
		absMax := 0.0
		for _, c := range dense {
			absMax = math.Max(absMax, math.Abs(float64(c)))
		}
		if inf > emd.CertTol*absMax || slack > emd.CertTol*absMax {
			t.Errorf("%s: certificate violated: infeasibility %g, slackness %g", name, inf, slack)
		}
		t.Logf("%s: %d blocks, %s, %d iterations, cost %.15g (emd.Solve %.15g)", name, len(Partition(p.N)), plan.Method, plan.Iterations, plan.Cost, want.Cost)
	}
}

// TestExactNeedsCost: once the blocks hold the kernel, the exact solver
// fails instead of reading it as a cost.
func TestExactNeedsCost(t *testing.T) {
	p := clustered(4, 300, 300, 8, 3, 3, 1)
	bs := NewLocalBlocks(p, 2)
	if _, err := bs.Do(&Op{Kind: OpCost}); err != nil {
		t.Fatal(err)
	}
	if _, err := bs.Do(&Op{Kind: OpKernel, G: make([]float64, p.M), Eps: 1, Scale: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := ExactOverBlocks(context.Background(), bs, p); err == nil {
		t.Error("exact plan computed from a kernel")
	}
}

// TestPendingBlocks: the blocks a bidding round shares out are those
// holding one of its (ascending) rows, the first and last rows of a block
// included.
func TestPendingBlocks(t *testing.T) {
	p := clustered(1, 200, 200, 4, 3, 3, 1)
	bs := NewLocalBlocks(p, 2).Blocks // 4 blocks of 50 rows
	for _, c := range []struct {
		rows []int32
		want []int
	}{
		{nil, nil},
		{[]int32{0}, []int{0}},
		{[]int32{49, 50}, []int{0, 1}},
		{[]int32{3, 7, 199}, []int{0, 3}},
		{[]int32{100, 101, 149}, []int{2}},
	} {
		if got := pendingBlocks(bs, c.rows); !slices.Equal(got, c.want) {
			t.Errorf("rows %v: blocks %v, want %v", c.rows, got, c.want)
		}
	}
}
