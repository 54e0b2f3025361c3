// Package settings holds the settings of a score and the one table that
// describes them: each setting's flag name, a label in words, its default,
// help, kind and choices, and its check. The command-line tool builds its
// flag.FlagSet from the table (Flags) and the browser page its form (Fields);
// both check with Check, so the two cannot drift apart.
//
// The JSON of Settings is the schema's "settings" object (report.Candidate
// and report.Ranking carry it); the enumerated settings are string types,
// so that their JSON is their String().
package settings

import "strconv"

// Settings are all the settings needed to reproduce a score.
type Settings struct {
	N             int       `json:"n"`
	K             int       `json:"k"`
	Eps           float64   `json:"eps"`
	CostNorm      CostNorm  `json:"cost_norm"`
	Transform     Transform `json:"transform"`
	Solver        Solver    `json:"solver"`
	Tol           float64   `json:"tol"`
	MaxIter       int       `json:"max_iter"`
	ScoreTol      float64   `json:"score_tol"`
	Seed          uint64    `json:"seed"`
	IgnoreIndex   int       `json:"ignore_index"`
	Layout        string    `json:"layout"`
	DropNonFinite bool      `json:"drop_nonfinite"`
	FeatureKey    string    `json:"feature_key"`
	LabelKey      string    `json:"label_key"`
	// Sampling is how pixels are drawn: "uniform" over the valid pixels
	// (the paper) or "per-class", evenly over the classes present.
	Sampling string `json:"sampling"`
	// Metrics lists the scores computed beside OTCE, comma-separated
	// (otce,logme,leep,nce,hscore,gbc,zeroshot), or "all": every one that
	// applies.
	Metrics string `json:"metrics"`
	// HScoreRcond is the relative cutoff of H-score's pseudo-inverse.
	HScoreRcond float64 `json:"hscore_rcond"`
	// GBCGaussian is GBC's class model: "spherical" or "diagonal".
	GBCGaussian string `json:"gbc_gaussian"`
	// SharedClasses says the features are the source model's logits over
	// the target's own classes (channel c = label c), which makes the
	// zero-shot accuracy meaningful.
	SharedClasses bool `json:"shared_classes"`
}

// MaxN is the largest N this tool handles (2²⁰ pixels per domain).
const MaxN = 1 << 20

// MinEps is the smallest ε accepted: the smallest normal float64, below
// which 1/ε is +Inf.
const MinEps = 0x1p-1022

// MaxK is the largest number of repetitions accepted (the paper uses 10).
const MaxK = 10000

// Default returns the paper's settings: N = 10⁴ pixels per domain, K = 10
// repetitions, ε = 0.1 on the raw squared distances.
func Default() Settings {
	return Settings{
		N: 10000, K: 10, Eps: 0.1, CostNorm: NormNone, Transform: TransformNone, Solver: SolverSinkhorn,
		Tol: 1e-6, MaxIter: 10000, ScoreTol: 1e-4, Seed: 0, IgnoreIndex: 255, Layout: "auto",
		FeatureKey: "features", LabelKey: "labels",
		Sampling: "uniform", Metrics: "all", HScoreRcond: 1e-15, GBCGaussian: "spherical",
	}
}

// Check reports the first invalid setting, in the table's order, as the
// flag's name and the problem ("--eps must be positive and finite, got 0").
func Check(s Settings) error {
	for _, f := range Table {
		if f.check == nil {
			continue
		}
		if err := f.check(&s); err != nil {
			return err
		}
	}
	return nil
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
