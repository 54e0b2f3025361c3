package otce

import (
	"math"
	"sort"

	"github.com/otceseg/otceseg/core/report"
	"github.com/otceseg/otceseg/core/stats"
)

// Rank orders candidates by OTCE, best first (failed candidates last, in
// their given order), and, when at least three scored candidates have a
// known accuracy, adds Pearson's r, Spearman's ρ and Kendall's τ between
// OTCE and accuracy. Each candidate's Rank is its 1-based place.
func Rank(cands []report.Candidate, s report.Settings) report.Ranking {
	out := make([]report.Candidate, len(cands))
	copy(out, cands)
	sort.SliceStable(out, func(a, b int) bool {
		ea, eb := out[a].Error != "", out[b].Error != ""
		if ea != eb {
			return !ea
		}
		if ea {
			return false
		}
		return out[a].OTCEMean > out[b].OTCEMean
	})
	for i := range out {
		out[i].Rank = i + 1 // as the table's and the CSV's rank column
	}
	r := report.Ranking{Candidates: out, Settings: s}
	var x, y []float64
	for _, c := range out {
		if c.Error == "" && c.Accuracy != nil {
			x = append(x, c.OTCEMean)
			y = append(y, *c.Accuracy)
		}
	}
	if len(x) >= 3 {
		c := report.Correlation{Pearson: stats.Pearson(x, y), Spearman: stats.Spearman(x, y), Kendall: stats.Kendall(x, y), Count: len(x)}
		if finite(c.Pearson) && finite(c.Spearman) && finite(c.Kendall) {
			r.Correlation = &c
		}
	}
	return r
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
