// Package report defines the result schema shared by the command-line tool
// and the browser app, and writes it as JSON, CSV or a text table.
package report

import "github.com/otceseg/otceseg/core/settings"

// Settings are all the settings needed to reproduce a score: the
// "settings" object of a Candidate and a Ranking. They live in package
// settings, with the table that builds the tool's flags and the page's form.
type Settings = settings.Settings

// Joint is a joint label table P(source class, target class).
type Joint struct {
	SourceLabels []int       `json:"source_labels"`
	TargetLabels []int       `json:"target_labels"`
	Table        [][]float64 `json:"table"` // rows: source labels; columns: target labels
}

// Candidate is the score of one candidate source model.
type Candidate struct {
	// Rank is the 1-based place in a Ranking, best first (`otce score`'s one
	// candidate is 1; 0 outside a ranking).
	Rank          int         `json:"rank,omitempty"`
	Name          string      `json:"name,omitempty"`
	OTCEMean      float64     `json:"otce_mean"`
	OTCEStd       float64     `json:"otce_std"`
	CE            []float64   `json:"ce"`
	WD            []float64   `json:"wd"`
	Iterations    []int       `json:"iterations"`
	MarginalError []float64   `json:"marginal_error"`
	StopRule      []string    `json:"stop_rule"`
	Converged     bool        `json:"converged"`
	Accuracy      *float64    `json:"accuracy,omitempty"`
	Warnings      []string    `json:"warnings"`
	Settings      Settings    `json:"settings"`
	Diagnostics   Diagnostics `json:"diagnostics"`
	Joint         *Joint      `json:"joint,omitempty"`
	// Metrics are the other transferability scores of the target pixels
	// (core/metrics), by key: logme, leep, nce, hscore, gbc, zeroshot_acc,
	// zeroshot_miou. A score that could not be computed in every
	// repetition is left out (a warning says why).
	Metrics map[string]Metric `json:"metrics,omitempty"`
	// MetricsNotApplicable lists the scores asked for that do not apply
	// to this run (zeroshot without --shared-classes).
	MetricsNotApplicable []string `json:"metrics_not_applicable,omitempty"`
	Error                string   `json:"error,omitempty"`
	// ErrorFile is the file the error is about, as the reader was given
	// it (an arrays.FileError's File: the page shows the error next to
	// it), or "" when the error is about no one file.
	ErrorFile string  `json:"error_file,omitempty"`
	Seconds   float64 `json:"seconds"`
}

// Metric is one score over the K repetitions: mean, sample standard
// deviation (n − 1) and each repetition's value. Higher is better.
type Metric struct {
	Mean float64   `json:"mean"`
	Std  float64   `json:"std"`
	Each []float64 `json:"each"`
}

// Diagnostics describe the cost and the samples of a score.
type Diagnostics struct {
	SourcePixels  int     `json:"source_pixels"` // sampled per repetition
	TargetPixels  int     `json:"target_pixels"`
	SourceValid   int64   `json:"source_valid"` // valid pixels available
	TargetValid   int64   `json:"target_valid"`
	Dim           int     `json:"dim"`
	SourceLayout  string  `json:"source_layout"`
	TargetLayout  string  `json:"target_layout"`
	CostMedian    float64 `json:"cost_median"` // raw squared distances, last repetition
	CostMax       float64 `json:"cost_max"`
	CostMean      float64 `json:"cost_mean"`
	EpsOverMedian float64 `json:"eps_over_median"` // ε·scale/median(C): the sharpness of the coupling
	TargetEntropy float64 `json:"target_entropy"`  // H(Y_t) of the sample, last repetition
	Stages        int     `json:"stages"`
	Rebuilds      int     `json:"rebuilds"`
	Omega         float64 `json:"omega"`
	CEChange      float64 `json:"ce_change"` // |ΔCE| over the last 10 iterations
	// Seconds spent per solver phase (block operation or "exact"), summed
	// over the repetitions: where the time goes. Timing, not result: it
	// varies from run to run. When repetitions overlap (package otce,
	// Options.Overlap) their times overlap too, and "overlap-wait" is the
	// time a repetition waited for memory while the one before it ran.
	Phases      map[string]float64 `json:"phase_seconds,omitempty"`
	CERest      float64            `json:"ce_rest"`            // the score rule's estimate of the change still to come
	WarmStarted bool               `json:"warm_started"`       // Sinkhorn started from the exact plan's potentials
	ExactCE     *float64           `json:"exact_ce,omitempty"` // CE and W_D of the exact plan, when it was computed
	ExactWD     *float64           `json:"exact_wd,omitempty"`
}

// Correlation measures how well the scores order the known accuracies.
type Correlation struct {
	Pearson  float64 `json:"pearson"`
	Spearman float64 `json:"spearman"`
	Kendall  float64 `json:"kendall"`
	Count    int     `json:"count"`
}

// Ranking is the result of scoring several candidates, best first.
type Ranking struct {
	Candidates []Candidate `json:"candidates"`
	// Correlation is OTCE's with the known accuracies.
	Correlation *Correlation `json:"correlation,omitempty"`
	// Correlations are every score's (otce and the keys of
	// Candidate.Metrics) with the known accuracies, over the candidates
	// that have both (at least 3).
	Correlations map[string]Correlation `json:"correlations,omitempty"`
	// BestMetric is the score whose Spearman ρ with the accuracies is
	// highest (then Pearson's r).
	BestMetric string `json:"best_metric,omitempty"`
	// By is the score the candidates are ordered by ("otce" unless asked).
	By       string   `json:"by,omitempty"`
	Fit      *Fit     `json:"fit,omitempty"`
	Settings Settings `json:"settings"`
}

// Fit is the least-squares predictor accuracy ≈ λ·scores + b fitted on the
// candidates with a known accuracy.
type Fit struct {
	Scores      []string  `json:"scores"` // the scores' keys, in λ's order
	Lambda      []float64 `json:"lambda"`
	B           float64   `json:"b"`
	Count       int       `json:"count"`        // candidates fitted
	ResidualStd float64   `json:"residual_std"` // √(RSS/(n − p − 1))
	LOORMSE     float64   `json:"loo_rmse"`     // leave-one-out prediction error
	// LOOPearson is Pearson's r of the leave-one-out predictions and the
	// accuracies (absent when either is constant).
	LOOPearson  *float64     `json:"loo_pearson,omitempty"`
	Predictions []Prediction `json:"predictions"`
}

// Prediction is the fit's accuracy for one candidate: for a candidate with a
// known accuracy the leave-one-out prediction, for the others the
// prediction and its 95 % prediction interval [Low, High].
type Prediction struct {
	Name      string   `json:"name"`
	Accuracy  *float64 `json:"accuracy,omitempty"`
	LOO       *float64 `json:"loo,omitempty"`
	Predicted *float64 `json:"predicted,omitempty"`
	Low       *float64 `json:"low,omitempty"`
	High      *float64 `json:"high,omitempty"`
	Error     string   `json:"error,omitempty"` // why there is no prediction
}
