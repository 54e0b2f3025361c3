package emd

import "golang.org/x/sys/cpu"

// On amd64 with AVX2, the full scans of a row (refresh, the auction's hot
// loop) filter eight columns a step and sift an accepted value into the heap
// without branches on the values (scanAVX2). A scan's values are those of
// ScanGo — float64(row[j]) (exact) + prices[j], rounded as the scalar
// addition — and it offers them to the heap in the same order with the same
// comparisons, so the heap ends the same, slot for slot
// (TestScanAVX2SameHeap): only the branches are fewer. The scalar loop's
// time went to the accepted values (235 a scan of 10⁴ columns on a trained
// network's logits), each a mispredicted branch in the loop and several in
// SiftIn, and to SiftIn's chain of dependent loads, not to reading the row:
// a scan of a row that was never in the cache, with no value accepted,
// took as long as one of a row that was. On those logits (BenchmarkDumped's
// raw-emd in core/ot, 301 777 scans) the process took 4.6 CPU s against
// 6.4 s with the scalar loop, the same plan bit for bit. The cost range
// (RowBlock.Range) and the certificate's slack (RowBlock.Infeasibility),
// one pass each over the whole matrix, run in AVX2 too (minMax32AVX2,
// maxSlackAVX2: the same values).

// haveAVX2 says whether the CPU and the OS support AVX2 (the OS saves the
// YMM registers): golang.org/x/sys/cpu's CPUID and XGETBV tests.
var haveAVX2 = cpu.X86.HasAVX2

// scanAVX2 is ScanGo on a padded heap (topK.resetPadded): vals and idx have
// 2^(steps+1) − 1 slots, the complete binary tree whose leaves lie steps
// levels down, filled beyond the heap's entries with −Inf. Each value
// below the root replaces it and moves down exactly steps levels, by
// conditional moves: a −Inf child never moves up, so the heap ends as
// SiftIn leaves it. It offers the columns j >= from only (so that a heap
// can be fed a row in pieces); prices has at least len(row) entries.
//
//go:noescape
func scanAVX2(vals []float64, idx []int32, steps int, row []float32, prices []float64, from int)

// minMax32AVX2 is MinMax32Go in AVX2 (the same values; a zero's sign may
// differ).
//
//go:noescape
func minMax32AVX2(x []float32) (lo, hi float32, nan bool)

// maxSlackAVX2 is MaxSlackGo in AVX2 (the same value; a zero's sign may
// differ).
//
//go:noescape
func maxSlackAVX2(row []float32, v []float64, ui float64) float64
