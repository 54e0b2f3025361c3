package ot

import "testing"

// TestLocalBlocksYield: LocalBlocks.Yield is called before every operation,
// each bidding round of the exact plan's auction among them (the browser's
// sampler returns to the event loop there), and changes no bit of the plan.
func TestLocalBlocksYield(t *testing.T) {
	p := clustered(3, 600, 600, 19, 19, 19, 4)
	ref := NewLocalBlocks(p, 1)
	want := exactOver(t, ref, p)
	lb := NewLocalBlocks(p, 1)
	yields := 0
	lb.Yield = func() { yields++ }
	got := exactOver(t, lb, p)
	if !samePlan(want, got) {
		t.Errorf("with Yield: cost %.17g, without %.17g", got.Cost, want.Cost)
	}
	if yields < got.Iterations {
		t.Errorf("%d yields for %d rounds of the auction", yields, got.Iterations)
	}
	t.Logf("%d yields, %d rounds", yields, got.Iterations)
}
