//go:build js && wasm

package main

import (
	"context"
	"errors"
	"syscall/js"
	"time"

	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/schedule"
	"github.com/otceseg/otceseg/wasm/internal/blobfile"
	"github.com/otceseg/otceseg/wasm/internal/proto"
)

// score runs a candidate end to end with the CLI's loop, otce.ScoreWith:
// the blocks of each repetition are this worker's alone for a small problem
// (schedule.Local) and otherwise spread over the pool (blockFactory); a
// small problem's repetitions run side by side on the request's team when
// it has several workers (schedule.SideBySide, team.go). The report,
// errors included, is the response's Result; the phases' seconds its
// Bench.
func (w *worker) score(req *proto.Score, resp *proto.ScoreResponse, reply js.Value) error {
	if req.Files == nil || req.Workers < 1 {
		return errors.New("score asked without files or workers")
	}
	w.job, w.sample, w.mapped = nil, nil, nil
	bench := map[string]float64{}
	opt, done := w.loopOptions(req, reply, bench)
	merge := func() {}
	// A team of several exists only for problems small enough at N
	// (schedule.Teams), hence at the pixels present.
	if s := req.Settings; schedule.SideBySide(len(req.Team), s.K, s.N, s.N, req.LocalMax) {
		opt.Team = len(req.Team)
		opt.Rep, merge = w.teamRep(req, opt.Progress, bench)
	}
	read0 := blobfile.ReadsSoFar()
	r := otce.ScoreWith(context.Background(), candidate(req.Files), req.Settings, opt)
	done()
	// For the benchmark: this worker's reads of the candidate's files.
	read := blobfile.ReadsSoFar()
	bench["read"] += read.Seconds - read0.Seconds
	bench["read:MB"] += float64(read.Bytes-read0.Bytes) / (1 << 20)
	bench["read:calls"] += float64(read.Calls - read0.Calls)
	merge()
	w.release()
	w.sample = nil
	resp.Result, resp.Bench = &r, bench
	return nil
}

// loopOptions returns the options of otce's loop for a Score request (its
// memory check, block-set factory and progress posted to reply, the
// phases' seconds added to bench) and the function to call after the loop.
func (w *worker) loopOptions(req *proto.Score, reply js.Value, bench map[string]float64) (otce.Options, func()) {
	blobfile.SetAheadMax(req.ReadAheadMax)
	// The page's phase names for the benchmark (wasm/ui/bench.go).
	names := map[string]string{otce.PhaseReading: "job", otce.PhaseSampling: "sample", otce.PhaseSolving: "solve", otce.PhaseExact: "solve", otce.PhaseIterations: "solve"}
	last, since := "", time.Now()
	var lastIter time.Time
	progress := func(pr otce.Progress) {
		if pr.Phase == otce.PhaseIterations && pr.Phase == last {
			// The iterations a few times a second.
			if time.Since(lastIter) < 100*time.Millisecond {
				return
			}
			lastIter = time.Now()
		} else {
			if n := names[last]; n != "" {
				bench[n] += time.Since(since).Seconds()
			}
			last, since = pr.Phase, time.Now()
		}
		op := pr.Progress
		postTo(reply, &proto.Progress{Progress: &op, Phase: pr.Phase, Rep: pr.Rep})
	}
	var ov *overlap
	blocks := w.blockFactory(req, bench)
	opt := otce.Options{
		Check: func(j *otce.Job) error {
			n, m := schedule.Size(req.Settings.N, j.Source.Valid, j.Target.Valid)
			return schedule.CheckMemory(n, m, j.Source.Dim, req.Workers)
		},
		Blocks: func(smp *otce.Sample) (ot.BlockSet, func(), error) {
			if ov != nil {
				return ov.newBlocks(smp.Problem, smp.AllPixels || smp.Rep == req.Settings.K-1)
			}
			return blocks(smp)
		},
		// The repetitions overlap on the pool (overlap.go) when asked
		// and schedule.PageOverlap allows it for the problem's size.
		BlocksOverlap: func(j *otce.Job) bool {
			s := req.Settings
			n, m := schedule.Size(s.N, j.Source.Valid, j.Target.Valid)
			exact := schedule.ExactOnPool(n, m, j.Source.Dim, req.Workers)
			if req.ExactOnPool != nil {
				exact = *req.ExactOnPool
			}
			gather := schedule.Gather(n, m, schedule.MayExact(s), exact, req.GatherMin)
			if !schedule.PageOverlap(s, req.Workers, schedule.Local(n, m, req.LocalMax), gather, req.Overlap) {
				return false
			}
			w.release()
			ov = &overlap{w: w, workers: req.Workers, handMax: req.HandOverMax, bench: bench}
			return true
		},
		Progress: progress,
	}
	return opt, func() { progress(otce.Progress{}) } // the last phase's seconds
}

// blockFactory returns the otce.Options.Blocks of a Score request: a small
// problem on this worker's own blocks (the same partition and reduce order
// as on the pool, so the same bits, without a round of messages per
// iteration); a large one over the pool, each worker hosting the blocks
// schedule.Assign gives it, built from a copy of the sample sent through
// its port, with this worker running the solver (poolBlocks).
func (w *worker) blockFactory(req *proto.Score, bench map[string]float64) func(*otce.Sample) (ot.BlockSet, func(), error) {
	return func(smp *otce.Sample) (ot.BlockSet, func(), error) {
		defer func(t0 time.Time) { bench["blocks"] += time.Since(t0).Seconds() }(time.Now())
		w.release()
		w.sample = smp // the exact plan and the own blocks read it
		p := smp.Problem
		if schedule.Local(p.N, p.M, req.LocalMax) {
			lb := ot.NewLocalBlocks(p, 1)
			return lb, func() { lb.Do(&ot.Op{Kind: ot.OpRelease}) }, nil
		}
		nb := len(ot.Partition(p.N))
		asg := schedule.Assign(nb, req.Workers)
		sent, err := w.sendBlocks(p, asg)
		if err != nil {
			return nil, nil, err
		}
		err = w.waitDone(sent, w.buildBlocks(&proto.Blocks{OwnSample: true, Blocks: asg[0]}, nil, js.Undefined()), bench)
		free := func() {
			for _, i := range sent {
				call(w.peers[i], &proto.Release{}, bench)
			}
			w.release()
		}
		if err != nil {
			free()
			return nil, nil, err
		}
		exact := schedule.ExactOnPool(p.N, p.M, p.D, req.Workers)
		if req.ExactOnPool != nil {
			exact = *req.ExactOnPool
		}
		pb := &poolBlocks{w: w, assign: asg, nb: nb, minRows: req.SplitMinRows, bench: bench, exactPool: exact,
			gather: schedule.Gather(p.N, p.M, schedule.MayExact(req.Settings), exact, req.GatherMin), hereMax: req.IterateHereMax, swapCost: req.SwapCost}
		return pb, free, nil
	}
}
