//go:build js && wasm

package main

// settingWords are the settings' names in words, shown before their flags
// (which match the command-line tool's): the form's labels read as words
// first. Keyed by flag, so that a table of the settings built elsewhere can
// take them over as they are.
var settingWords = map[string]string{
	"-n":               "Pixels per domain (N)",
	"-k":               "Repetitions (K)",
	"--eps":            "Regularisation ε",
	"--cost-norm":      "Cost normalisation",
	"--transform":      "Feature transform",
	"--solver":         "Solver",
	"--tol":            "Marginal tolerance",
	"--max-iter":       "Iteration budget",
	"--score-tol":      "Score tolerance",
	"--seed":           "Random seed",
	"--ignore-index":   "Ignored label",
	"--layout":         "Feature layout",
	"--drop-nonfinite": "Skip NaN/Inf pixels",
	"--feature-key":    "Feature array name",
	"--label-key":      "Label array name",
	"--sampling":       "Pixel sampling",
	"--metrics":        "Other scores",
	"--hscore-rcond":   "H-score cutoff",
	"--gbc-gaussian":   "GBC Gaussians",
	"--shared-classes": "Shared classes",
	"--workers":        "Web workers",
}
