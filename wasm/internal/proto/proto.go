//go:build js && wasm

// Package proto defines the messages between the page (wasm/ui) and its web
// workers (wasm/worker). Both sides encode them with package wire.
//
// One worker, the sampler (worker 0), also opens the candidate's files and
// draws each repetition's pixels; every worker hosts some of the fixed row
// blocks (ot.Partition) of the current problem and answers the solver's
// block operations for them, one Reply per block, in block order.
package proto

import (
	"syscall/js"

	"github.com/otceseg/otceseg/core/emd"
	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/report"
)

// Request kinds.
const (
	KindJob     = "job"     // sampler: open the candidate's files (otce.Prepare)
	KindSample  = "sample"  // sampler: draw repetition Rep (Job.Sample)
	KindAdd     = "add"     // sampler: record the solution of Sample, or of the last sample (Summary.Add)
	KindResult  = "result"  // sampler: the candidate's report (Summary.Result), Err recorded first
	KindBlocks  = "blocks"  // every worker: build blocks Blocks of Problem
	KindOp      = "op"      // every worker: run Op on its blocks
	KindRelease = "release" // every worker: drop its blocks and free their memory
	KindInspect = "inspect" // any worker: open the headers of Files, report shapes or errors
	KindSolve   = "solve"   // sampler: solve the last sample in this worker alone (small problems)
	KindWarm    = "warm"    // any worker: score the built-in demo once, so that the browser compiles the hot code before a run
	KindGive    = "give"    // a worker other than the sampler, from the sampler: the cost rows of its hosted block Blocks[0] (after OpCost), moved out in Rows
	KindPort    = "port"    // every worker but the sampler: answer the requests that come on Ports[0]; the sampler: Ports[0] leads to worker Peer
	KindPool    = "pool"    // sampler: solve the last sample over the pool's blocks (Assign), driving the other workers through their ports
)

// Files are the JS File or Blob objects of one candidate.
type Files struct {
	Name           string
	SourceFeatures []js.Value
	SourceLabels   []js.Value
	TargetFeatures []js.Value
	TargetLabels   []js.Value
	Accuracy       *float64
}

// Request is a message from the page to a worker.
type Request struct {
	ID       int
	Kind     string
	Settings *report.Settings
	Files    *Files
	Rep      int
	Problem  *ot.Problem
	Blocks   []int
	Op       *ot.Op
	Solution *ot.Solution
	Err      string
	Inspect  []js.Value
	// Brief asks KindSample to answer without the sampled features (the
	// page does not need them when a worker solves the sample alone).
	Brief bool
	// Sample is, for KindAdd, the sample Solution solves when another
	// worker drew it (its features may be left out).
	Sample *otce.Sample
	// Ports holds, for KindPort, one end of a MessageChannel between the
	// sampler and worker Peer (transferred).
	Ports []js.Value
	Peer  int
	// Assign lists, for KindPool, the blocks each worker hosts (worker 0
	// is the sampler); ExactPool asks for the exact plan over the pool's
	// blocks rather than in the sampler alone (when the cost does not fit
	// in it).
	Assign    [][]int
	ExactPool bool
	// SplitMinRows is, for KindPool, the fewest pending rows of the other
	// workers' blocks for which a bidding round of the sampler's exact
	// plan also runs there (ot.SplitBlocks; 0: the worker's default).
	SplitMinRows int
	// OwnSample asks KindBlocks for blocks of the problem of the sample
	// this worker drew (the sampler's), instead of a copy in Problem.
	OwnSample bool
}

// Transfer returns r's Ports, which postMessage moves to the receiver.
func (r *Request) Transfer() []any {
	var out []any
	for _, p := range r.Ports {
		out = append(out, p)
	}
	return out
}

// Job describes an opened candidate.
type Job struct {
	Dim                      int
	SourceValid, TargetValid int64
	SourceImages             int
	TargetImages             int
	Warnings                 []string
}

// FileInfo describes one inspected file.
type FileInfo struct {
	Name  string
	Info  string // shape and type, or the arrays a bundle holds
	Error string
}

// Response is a worker's answer to the Request with the same ID.
type Response struct {
	ID      int
	Err     string
	Job     *Job
	Sample  *otce.Sample
	Replies []*ot.Reply
	Result  *report.Candidate
	Files   []FileInfo
	Plan    *emd.Plan
	// Solution answers KindSolve and KindPool.
	Solution *ot.Solution
	// Bench holds, for KindPool, the seconds of the benchmark's phases
	// that the sampler measured (give, busy:<op>, msg:post, msg:decode).
	Bench map[string]float64
	// Busy is the seconds the worker spent on the request, from its
	// arrival to its answer (the page's time minus it is the messages').
	Busy float64
	// Rows answers KindGive: a block's cost rows as a Uint8Array of their
	// float32 bytes (little endian, row-major), transferred, not copied.
	Rows []js.Value
}

// Transfer returns the ArrayBuffers of r's Rows, which postMessage moves
// to the receiver instead of copying them.
func (r *Response) Transfer() []any { return buffers(r.Rows) }

func buffers(rows []js.Value) []any {
	var out []any
	for _, v := range rows {
		out = append(out, v.Get("buffer"))
	}
	return out
}

// Progress is posted by a worker while it solves a sample alone (KindSolve),
// a few times a second, before the response.
type Progress struct {
	Progress *ot.Progress
}

// Ready is the first message a worker posts, once its handler is installed.
type Ready struct {
	Ready bool
}
