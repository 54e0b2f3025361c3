package ot

import (
	"slices"
	"testing"
)

// TestNewLabeledProblem: label values become class indices in increasing
// order of value, and the target points go into class order, stably.
func TestNewLabeledProblem(t *testing.T) {
	xs := []float32{1, 2, 3}
	ys := []int32{250, 7, 250}
	xt := []float32{10, 11, 12, 13, 14}
	yt := []int32{11, 3, 11, 7, 3}
	p, sl, tl := NewLabeledProblem(xs, ys, xt, yt, 1)
	if !slices.Equal(sl, []int{7, 250}) || !slices.Equal(tl, []int{3, 7, 11}) {
		t.Fatalf("class tables %v %v", sl, tl)
	}
	if !slices.Equal(p.Ys, []int32{1, 0, 1}) || p.La != 2 || p.Lb != 3 || p.N != 3 || p.M != 5 {
		t.Errorf("source side %v La %d Lb %d N %d M %d", p.Ys, p.La, p.Lb, p.N, p.M)
	}
	if !slices.Equal(p.Yt, []int32{0, 0, 1, 2, 2}) || !slices.Equal(p.Xt, []float32{11, 14, 13, 10, 12}) {
		t.Errorf("target side %v %v", p.Yt, p.Xt)
	}
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
}
