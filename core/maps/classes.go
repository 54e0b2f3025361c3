package maps

import (
	"cmp"
	"slices"

	"github.com/otceseg/otceseg/core/detmath"
)

// ClassRow is one target class's line of the per-class table, read off the
// repetitions' joint tables P(a, b).
type ClassRow struct {
	Label int `json:"label"`
	// Mass is P(b), the mean over the repetitions (0 where b is absent).
	Mass float64 `json:"mass"`
	// CE is the class's part of H(Y_t|Y_s), −Σ_a P(a, b) log P(b|a), the
	// mean over the repetitions: the parts of all classes sum to the mean
	// conditional entropy, −(mean OTCE).
	CE float64 `json:"ce"`
	// Share is CE over the sum of all classes' CE.
	Share float64 `json:"share"`
	// MeanH is CE/Mass: the mean h of the class's pixels.
	MeanH float64 `json:"mean_h"`
	// Sources is where the class's mass went: P(a|b) by source label, the
	// mean over the repetitions whose target sample holds b, largest first.
	Sources []SourceMass `json:"sources"`
	// Reps counts the repetitions whose target sample holds the class.
	Reps int `json:"repetitions"`
}

// SourceMass is a source class's part of a target class's mass.
type SourceMass struct {
	Label int     `json:"label"`
	P     float64 `json:"p"`
}

// Classes returns the per-class table of the repetitions, the largest part
// of H(Y_t|Y_s) first.
func Classes(reps []*Rep) []ClassRow {
	rows := map[int]*ClassRow{}
	src := map[int]map[int]float64{}
	k := float64(len(reps))
	for _, r := range reps {
		for b, lb := range r.TargetClasses {
			row := rows[lb]
			if row == nil {
				row = &ClassRow{Label: lb}
				rows[lb] = row
				src[lb] = map[int]float64{}
			}
			pb, ce := 0.0, 0.0
			for a := 0; a < r.La; a++ {
				pb += r.Joint[a*r.Lb+b]
			}
			for a := 0; a < r.La; a++ {
				pab := r.Joint[a*r.Lb+b]
				if pab > 0 {
					pa := 0.0
					for _, x := range r.Joint[a*r.Lb : (a+1)*r.Lb] {
						pa += x
					}
					ce -= pab * detmath.Log(pab/pa)
					src[lb][r.SourceClasses[a]] += pab / pb
				}
			}
			row.Mass += pb / k
			row.CE += ce / k
			row.Reps++
		}
	}
	out := make([]ClassRow, 0, len(rows))
	for lb, row := range rows {
		for la, p := range src[lb] {
			row.Sources = append(row.Sources, SourceMass{Label: la, P: p / float64(row.Reps)})
		}
		slices.SortFunc(row.Sources, func(x, y SourceMass) int {
			return cmp.Or(cmp.Compare(y.P, x.P), cmp.Compare(x.Label, y.Label))
		})
		if row.Mass > 0 {
			row.MeanH = row.CE / row.Mass
		}
		out = append(out, *row)
	}
	slices.SortFunc(out, func(x, y ClassRow) int {
		return cmp.Or(cmp.Compare(y.CE, x.CE), cmp.Compare(x.Label, y.Label))
	})
	// The total in the table's order, not the map's (which varies from
	// run to run, and with it the last bit of every share).
	total := 0.0
	for _, row := range out {
		total += row.CE
	}
	for i := range out {
		if total > 0 {
			out[i].Share = out[i].CE / total
		}
	}
	return out
}
