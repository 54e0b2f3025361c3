package emd

import (
	"context"
	"math"
)

// solveJV solves the n×n assignment problem for the row-major cost with the
// Jonker–Volgenant algorithm (R. Jonker, A. Volgenant, "A shortest
// augmenting path algorithm for dense and sparse linear assignment
// problems", Computing 38, 1987): column reduction, reduction transfer,
// augmenting row reduction, then one Dijkstra-like shortest augmenting path
// search per remaining free row.
//
// It returns the assignment x (row i → column x[i]), the column potentials
// v and the number of augmenting path searches. With u_i = C_{i,x[i]} − v_j
// the pair (u, v) is dual feasible and tight on the assignment.
func solveJV(ctx context.Context, cost []float32, n, workers int) (x []int32, v []float64, iters int, err error) {
	x = make([]int32, n)
	y := make([]int32, n)
	v = make([]float64, n)
	free := columnReduction(cost, n, workers, x, y, v)
	if err := ctx.Err(); err != nil {
		return nil, nil, 0, err
	}
	free, err = augmentingRowReduction(ctx, cost, n, x, y, v, free)
	if err != nil {
		return nil, nil, 0, err
	}
	aug := newAugmenter(n)
	for k, f := range free {
		if k&15 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, 0, err
			}
		}
		aug.augment(cost, n, x, y, v, f)
	}
	return x, v, len(free), nil
}

// columnReduction sets v_j = min_i C_ij, assigns each column to the row
// that attains its minimum as far as these rows are distinct, and then
// transfers the reduction of each singly assigned row to its column. The
// column minima are computed row by row (cache friendly and row-parallel)
// and the transfer from a snapshot of v, which keeps the result independent
// of the number of workers. It returns the free rows.
func columnReduction(cost []float32, n, workers int, x, y []int32, v []float64) []int32 {
	// Column minima, per block of rows, then merged in block order so that
	// ties go to the smallest row index.
	mins := make([][]float32, workers)
	args := make([][]int32, workers)
	parallelRows(n, workers, func(w, lo, hi int) {
		mn := make([]float32, n)
		ag := make([]int32, n)
		copy(mn, cost[lo*n:(lo+1)*n])
		for j := range ag {
			ag[j] = int32(lo)
		}
		for i := lo + 1; i < hi; i++ {
			for j, c := range cost[i*n : (i+1)*n] {
				if c < mn[j] {
					mn[j] = c
					ag[j] = int32(i)
				}
			}
		}
		mins[w], args[w] = mn, ag
	})
	mn, ag := mins[0], args[0]
	for w := 1; w < workers; w++ {
		for j, c := range mins[w] {
			if c < mn[j] {
				mn[j] = c
				ag[j] = args[w][j]
			}
		}
	}

	matches := make([]int32, n)
	for i := range x {
		x[i] = -1
	}
	for j := n - 1; j >= 0; j-- {
		imin := ag[j]
		v[j] = float64(mn[j])
		matches[imin]++
		switch {
		case matches[imin] == 1:
			x[imin], y[j] = int32(j), imin
		case v[j] < v[x[imin]]:
			j1 := x[imin]
			x[imin], y[j] = int32(j), imin
			y[j1] = -1
		default:
			y[j] = -1
		}
	}

	// Reduction transfer: a row that is the unique minimum of exactly one
	// column j1 lowers v[j1] by its second smallest reduced cost. The
	// minima are computed against the v of the column reduction; lowering
	// v only raises reduced costs, so each such row stays tight.
	transfer := make([]float64, n)
	parallelRows(n, workers, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			if matches[i] != 1 {
				continue
			}
			j1 := int(x[i])
			best := math.Inf(1)
			for j, c := range cost[i*n : (i+1)*n] {
				if h := float64(c) - v[j]; h < best && j != j1 {
					best = h
				}
			}
			transfer[i] = best
		}
	})
	var free []int32
	for i := range n {
		switch matches[i] {
		case 0:
			free = append(free, int32(i))
		case 1:
			v[x[i]] -= transfer[i]
		}
	}
	return free
}

// augmentingRowReduction runs the two passes of JV's augmenting row
// reduction over the free rows: each free row takes the column with its
// smallest reduced cost, lowering that column's potential to the row's
// second smallest reduced cost, and the row it evicts becomes free. This is
// a Gauss–Seidel auction with zero increment; to bound its price wars the
// total number of steps is capped at a multiple of n. The invariant (every
// assigned row is tight and v is dual feasible with u_i = min_j C_ij − v_j)
// holds after every step, so stopping early is safe. It returns the rows
// that remain free.
func augmentingRowReduction(ctx context.Context, cost []float32, n int, x, y []int32, v []float64, free []int32) ([]int32, error) {
	budget := 16*n + 1000
	steps := 0
	for loop := 0; loop < 2 && len(free) > 0; loop++ {
		k, prv, numfree := 0, len(free), 0
		for k < prv {
			if steps >= budget {
				goto done
			}
			steps++
			if steps&255 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			i := free[k]
			k++
			umin, usub := math.Inf(1), math.Inf(1)
			j1, j2 := -1, -1
			for j, c := range cost[int(i)*n : (int(i)+1)*n] {
				h := float64(c) - v[j]
				if h < usub {
					if h >= umin {
						usub, j2 = h, j
					} else {
						usub, j2 = umin, j1
						umin, j1 = h, j
					}
				}
			}
			i0 := y[j1]
			if umin < usub {
				v[j1] -= usub - umin
			} else if i0 >= 0 {
				j1 = j2
				i0 = y[j2]
			}
			x[i], y[j1] = int32(j1), i
			if i0 >= 0 {
				x[i0] = -1
				if umin < usub {
					k--
					free[k] = i0
				} else {
					free[numfree] = i0
					numfree++
				}
			}
		}
		free = free[:numfree]
	}
done:
	free = free[:0]
	for i := range n {
		if x[i] < 0 {
			free = append(free, int32(i))
		}
	}
	return free, nil
}

// augmenter holds the work arrays of the shortest augmenting path search.
type augmenter struct {
	d       []float64
	pred    []int32
	collist []int32
}

func newAugmenter(n int) *augmenter {
	return &augmenter{
		d:       make([]float64, n),
		pred:    make([]int32, n),
		collist: make([]int32, n),
	}
}

// augment finds a shortest augmenting path from the free row f to a free
// column by Dijkstra's algorithm on the reduced costs C_ij − u_i − v_j
// (u_i = C_{i,x[i]} − v_{x[i]} for assigned rows, which must be tight: their
// column minimises C_ij − v_j), updates the column potentials of the
// scanned columns so that dual feasibility and tightness are preserved, and
// augments the assignment along the path.
func (a *augmenter) augment(cost []float32, n int, x, y []int32, v []float64, f int32) {
	d, pred, collist := a.d, a.pred, a.collist
	row := cost[int(f)*n : (int(f)+1)*n]
	for j, c := range row {
		collist[j] = int32(j)
		d[j] = float64(c) - v[j]
		pred[j] = f
	}
	// collist[0:low] are the scanned columns, collist[low:up] the columns
	// at the current minimum distance not yet scanned, collist[up:n] the
	// rest.
	low, up, last := 0, 0, 0
	minD := 0.0
	end := int32(-1)
	for end < 0 {
		if up == low {
			last = low - 1
			minD = d[collist[up]]
			up++
			for k := up; k < n; k++ {
				j := collist[k]
				h := d[j]
				if h <= minD {
					if h < minD {
						up = low
						minD = h
					}
					collist[k] = collist[up]
					collist[up] = j
					up++
				}
			}
			for k := low; k < up; k++ {
				if y[collist[k]] < 0 {
					end = collist[k]
					break
				}
			}
			if end >= 0 {
				break
			}
		}
		j1 := collist[low]
		low++
		i := y[j1]
		rowi := cost[int(i)*n : (int(i)+1)*n]
		h := float64(rowi[j1]) - v[j1] - minD
		for k := up; k < n; k++ {
			j := collist[k]
			v2 := float64(rowi[j]) - v[j] - h
			if v2 < d[j] {
				pred[j] = i
				if v2 == minD {
					if y[j] < 0 {
						end = j
						break
					}
					collist[k] = collist[up]
					collist[up] = j
					up++
				}
				d[j] = v2
			}
		}
	}
	for k := 0; k <= last; k++ {
		j := collist[k]
		v[j] += d[j] - minD
	}
	for {
		i := pred[end]
		y[end] = i
		j := end
		end = x[i]
		x[i] = j
		if i == f {
			break
		}
	}
}
