package settings

import (
	"fmt"
	"slices"
)

// Solver is the optimal-transport solver: entropic (Sinkhorn) or exact.
type Solver string

// The solvers.
const (
	SolverSinkhorn Solver = "sinkhorn" // entropic OT over the block set (the paper)
	SolverEMD      Solver = "emd"      // exact OT (ε = 0)
)

// Solvers lists the solvers, the default first.
var Solvers = []Solver{SolverSinkhorn, SolverEMD}

// String returns the solver's name as the flag spells it.
func (s Solver) String() string { return string(s) }

// CostNorm is what the squared-distance cost is divided by before the
// solve: C/1 (none), C/max C, C/mean C or C/median C. Its values are
// core/ot's Norm names.
type CostNorm string

// The cost normalisations.
const (
	NormNone   CostNorm = "none"
	NormMax    CostNorm = "max"
	NormMean   CostNorm = "mean"
	NormMedian CostNorm = "median"
)

// CostNorms lists the cost normalisations, the default first.
var CostNorms = []CostNorm{NormNone, NormMax, NormMean, NormMedian}

// String returns the normalisation's name as the flag spells it.
func (c CostNorm) String() string { return string(c) }

// Transform is the feature transform applied to every sampled pixel before
// the cost: none, softmax (for logits) or l2 (rows scaled to unit norm).
type Transform string

// The feature transforms.
const (
	TransformNone    Transform = "none"
	TransformSoftmax Transform = "softmax"
	TransformL2      Transform = "l2"
)

// Transforms lists the feature transforms, the default first.
var Transforms = []Transform{TransformNone, TransformSoftmax, TransformL2}

// String returns the transform's name as the flag spells it.
func (t Transform) String() string { return string(t) }

// The choices of the string settings that are not typed.
var (
	Layouts   = []string{"auto", "nchw", "nhwc", "ncdhw", "ndhwc", "nc"}
	Samplings = []string{"uniform", "per-class"}
	Gaussians = []string{"spherical", "diagonal"}
)

// names returns the String of each choice.
func names[E fmt.Stringer](es []E) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.String()
	}
	return out
}

// oneOf is the check of an enumerated setting: v must be one of choices.
func oneOf(flag, v string, choices []string) error {
	if !slices.Contains(choices, v) {
		return fmt.Errorf("%s %q: want one of %v", flag, v, choices)
	}
	return nil
}
