package otce

import (
	"context"
	"math"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/report"
	"github.com/otceseg/otceseg/core/schedule"
)

// overlapOn reports whether ScoreWith runs the job's repetitions overlapped
// (Job.overlapped) rather than one at a time, and with what budget: with
// Options.Blocks when Options.BlocksOverlap says so (no budget: the block
// sets share the memory themselves); otherwise only in this process, when
// nothing needs a repetition's blocks after its solve (Options.OnSolution,
// Options.Potentials: the maps), with two repetitions or more and two
// goroutines or more (Options.Workers = 1 asks for one core), and when the
// budget (Options.Overlap; 0: schedule.OverlapBytes of the problem's size)
// is positive.
func (j *Job) overlapOn(opt Options) (int64, bool) {
	s := j.Settings
	if opt.Blocks != nil {
		// The block sets keep their memory in bounds themselves.
		on := opt.BlocksOverlap != nil && opt.OnSolution == nil && !opt.Potentials && s.K >= 2 && opt.BlocksOverlap(j)
		return math.MaxInt64, on
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if opt.Blocks != nil || opt.OnSolution != nil || opt.Potentials || s.K < 2 || workers < 2 || opt.Overlap < 0 {
		return 0, false
	}
	budget := opt.Overlap
	if budget == 0 {
		n, m := schedule.Size(s.N, j.Source.Valid, j.Target.Valid)
		budget = schedule.OverlapBytes(n, m)
	}
	return budget, budget > 0
}

// PhaseWait is the key, in a solution's Seconds and the report's phases
// (diagnostics.phase_seconds), of the time an overlapped repetition
// waited for memory while the one before it ran (Options.Overlap); it is
// taken out of the operation it waited before.
const PhaseWait = "overlap-wait"

// overlapped is ScoreWith's loop with two repetitions in flight: while
// repetition k solves, repetition k+1 is drawn and solves too, each over
// blocks of its own (ot.NewLocalBlocks on Options.Workers goroutines), so
// that k+1's cost and exact plan (mostly one core) use what k's iterations
// leave of the cores. The memory decides how far k+1 gets: each repetition
// asks the gate (overlapGate) before an operation that may grow what it
// holds (the dense cost; a kernel or an absorption that may build the
// sparse form beside the dense one), and a repetition other than the
// oldest in flight waits until every repetition's cost and kernel bytes fit
// in the budget; the oldest never waits. At N = 10⁴ that lets k+1 compute
// its cost and exact plan while k iterates on a sparse kernel, and makes it
// wait while k's kernel is dense (two dense matrices would not fit).
// With Options.Blocks (Options.BlocksOverlap: the browser's sampler) each
// repetition is solved over the block set Blocks makes for it, in
// repetition order here in the launcher, and the gate never waits: the
// block sets keep the memory within bounds themselves.
//
// A repetition's pixels are a function of the seed and its index only
// (Job.Sample) and its solve of the problem alone (ot.Partition fixes the
// arithmetic, whatever the goroutines), so the report, built in repetition
// order, is the same bit for bit as from the loop one at a time; the first
// failed repetition, in that order, fails the candidate with the ones
// before it kept. The progress (overlapRelay) shows the repetitions one
// after the other too: a repetition's events wait until the ones before it
// are done.
func (j *Job) overlapped(ctx context.Context, opt Options, sm *Summary, g *overlapGate) report.Candidate {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	c, s := j.Candidate, j.Settings
	k := s.K
	rl := &overlapRelay{out: opt.Progress, held: map[int][]Progress{}}
	g.watch(ctx)
	out := outcomes(k)
	phase := func(rep int, ph string) {
		rl.send(Progress{Candidate: c.Name, Rep: rep, K: k, Phase: ph})
	}
	params := func(rep int) ot.Params {
		prm := SolveParams(s, func(pr ot.Progress) {
			rl.send(Progress{Candidate: c.Name, Rep: rep, K: k, Phase: PhaseIterations, Progress: pr})
		})
		prm.ExactStart = func() { phase(rep, PhaseExact) }
		return prm
	}
	// solveOn solves rep over the block set of Options.Blocks and frees it.
	solveOn := func(rep int, smp *Sample, bs ot.BlockSet, free func()) (*ot.Solution, error) {
		defer free()
		return ot.Solve(ctx, bs, smp.Problem, params(rep))
	}
	solve := func(rep int, smp *Sample) (*ot.Solution, error) {
		phase(rep, PhaseSolving)
		lb := ot.NewLocalBlocks(smp.Problem, opt.Workers)
		bs := &gatedBlocks{LocalBlocks: lb, gate: g, rep: rep, n: smp.Problem.N, m: smp.Problem.M}
		sol, err := ot.Solve(ctx, bs, smp.Problem, params(rep))
		if err == nil {
			// The solver timed its operations with the waits for memory in
			// them: those are a phase of their own.
			for op, sec := range bs.waited {
				sol.Seconds[op] -= sec
				sol.Seconds[PhaseWait] += sec
			}
		}
		// Free the kernel (the gate collects it) before the repetition
		// leaves the gate: the next one may then take its room.
		bs.Do(&ot.Op{Kind: ot.OpRelease})
		return sol, err
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	// The launcher draws the repetitions in order (OnSample sees them in
	// order) and starts each one's solve when fewer than two are in flight.
	slots := make(chan struct{}, 2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		var err error
		for rep := range k {
			if err == nil {
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					err = ctx.Err()
				}
			}
			if err != nil {
				// The loop stops at the first failed repetition anyway.
				out[rep] <- solved{err: err}
				continue
			}
			g.enter(rep)
			phase(rep, PhaseSampling)
			smp, serr := j.Sample(rep)
			if serr == nil && opt.OnSample != nil {
				serr = opt.OnSample(smp)
			}
			if serr != nil || rep > 0 && smp.AllPixels {
				// Same pixels, same problem: the loop reuses the last
				// solution (no solve), as the loop one at a time does.
				err = serr
				g.leave(rep)
				<-slots
				out[rep] <- solved{smp: smp, err: serr}
				continue
			}
			var bs ot.BlockSet
			var free func()
			if opt.Blocks != nil {
				// In repetition order, here in the launcher.
				phase(rep, PhaseSolving)
				bs, free, serr = opt.Blocks(smp)
				if serr != nil {
					err = serr
					g.leave(rep)
					<-slots
					out[rep] <- solved{smp: smp, err: serr}
					continue
				}
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				var sol *ot.Solution
				var err error
				if bs != nil {
					sol, err = solveOn(rep, smp, bs, free)
				} else {
					sol, err = solve(rep, smp)
				}
				runtime.GC()
				g.leave(rep)
				<-slots
				out[rep] <- solved{smp: smp, sol: sol, err: err}
			}()
		}
	}()
	return collect(k, sm, func(rep int) solved {
		r := <-out[rep]
		if err := parent.Err(); err != nil && r.err == nil {
			// Cancelled after the repetition before: the loop one at a
			// time would not have solved this one.
			r.err = err
		}
		return r
	}, func(rep, iters int) { rl.done(rep, k, c.Name, iters) })
}

// overlapRelay passes the overlapped repetitions' progress on as if they
// ran one after the other: the events of the oldest repetition not yet done
// (front) go out at once; a later repetition's are held (its phases, its
// first iteration and its latest one) and go out, in order, once the
// repetitions before it are done. A reader that follows one repetition at a
// time (the CLI's ETA, which starts each repetition's estimate at its first
// iteration) then sees what the loop one at a time shows.
type overlapRelay struct {
	mu    sync.Mutex
	out   func(Progress)
	front int
	held  map[int][]Progress
}

// send passes pr on, or holds it.
func (r *overlapRelay) send(pr Progress) {
	if r.out == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if pr.Rep == r.front {
		r.out(pr)
		return
	}
	h := r.held[pr.Rep]
	if n := len(h); pr.Phase == PhaseIterations && n >= 2 && h[n-1].Phase == PhaseIterations && h[n-2].Phase == PhaseIterations {
		h[n-1] = pr // keep the first iteration and the latest
	} else {
		h = append(h, pr)
	}
	r.held[pr.Rep] = h
}

// done reports repetition rep done after iters iterations (0: it reused the
// last solution) and passes on what the next one held.
func (r *overlapRelay) done(rep, k int, name string, iters int) {
	if r.out == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	done(r.out, name, rep, k, iters)
	r.front = rep + 1
	for _, pr := range r.held[r.front] {
		r.out(pr)
	}
	delete(r.held, r.front)
}

// overlapGate keeps the cost and kernel bytes of the repetitions in flight
// within a budget: a repetition asks for room before an operation that may
// grow them (acquire) and says what it holds after (set). The oldest
// repetition in flight gets its room at once, beyond the budget if need
// be (so one repetition alone always runs, as the loop one at a time
// does); a later one waits until the bytes of all fit.
type overlapGate struct {
	ctx    context.Context
	mu     sync.Mutex
	cond   *sync.Cond
	budget int64
	held   map[int]int64 // by repetition in flight
	total  int64
	// most is the largest total that a repetition other than the oldest
	// in flight was let through to: at most the budget.
	most int64
}

func newOverlapGate(budget int64) *overlapGate {
	g := &overlapGate{ctx: context.Background(), budget: budget, held: map[int]int64{}}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// watch makes the waits end (acquire fails) when ctx does.
func (g *overlapGate) watch(ctx context.Context) {
	g.mu.Lock()
	g.ctx = ctx
	g.mu.Unlock()
	context.AfterFunc(ctx, func() {
		g.mu.Lock()
		g.cond.Broadcast()
		g.mu.Unlock()
	})
}

// enter counts rep in flight, holding nothing yet.
func (g *overlapGate) enter(rep int) {
	g.mu.Lock()
	g.held[rep] = 0
	g.mu.Unlock()
}

// leave takes rep out of flight with what it held.
func (g *overlapGate) leave(rep int) {
	g.mu.Lock()
	g.total -= g.held[rep]
	delete(g.held, rep)
	g.cond.Broadcast()
	g.mu.Unlock()
}

// oldest reports whether rep is the oldest repetition in flight. The
// caller holds mu.
func (g *overlapGate) oldest(rep int) bool {
	for r := range g.held {
		if r < rep {
			return false
		}
	}
	return true
}

// acquire waits until rep may hold more bytes beyond what it holds, and
// counts them; it fails when the context ends first.
func (g *overlapGate) acquire(rep int, more int64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for !g.oldest(rep) && g.total+more > g.budget {
		if err := g.ctx.Err(); err != nil {
			return err
		}
		g.cond.Wait()
	}
	g.held[rep] += more
	g.total += more
	if !g.oldest(rep) {
		g.most = max(g.most, g.total)
	}
	return nil
}

// set records that rep holds bytes now. When that is less than before by
// an eighth of the budget or more (a dense matrix became garbage), the
// garbage is collected and its pages given back to the system first
// (debug.FreeOSMemory), so that the room given to another repetition is
// free memory: collected only, the freed matrix's pages stayed resident,
// and the next dense matrix, which need not fit in the same place once
// small objects were put there, came on top of them (at N = 10⁴, K = 10
// on the trained logits, 659 MB at most against 544 one at a time).
func (g *overlapGate) set(rep int, bytes int64) {
	g.mu.Lock()
	before := g.held[rep]
	g.mu.Unlock()
	if before-bytes >= g.budget/8 {
		debug.FreeOSMemory()
	}
	g.mu.Lock()
	g.total += bytes - g.held[rep]
	g.held[rep] = bytes
	g.cond.Broadcast()
	g.mu.Unlock()
}

// gatedBlocks are a repetition's blocks in this process with the gate in
// front of the operations that may grow their memory (ot.Exact comes from
// the LocalBlocks: the exact plan's operations hold no new matrix). It
// follows each block's form from the replies: the dense cost or kernel
// (one n×m float32 matrix for all blocks, alive while one block holds it),
// or a sparse kernel of ot.KernelBytes at the density its block replied
// when it switched (later compactions keep the arrays).
type gatedBlocks struct {
	*ot.LocalBlocks
	gate   *overlapGate
	rep    int
	n, m   int
	sparse []int64 // a block's sparse kernel bytes, 0 while it is dense
	// waited is the time spent at the gate, by operation (ot.OpKind's
	// String, the solver's key for its time).
	waited map[string]float64
}

// acquire asks the gate for more bytes before op, and times the wait.
func (b *gatedBlocks) acquire(op *ot.Op, more int64) error {
	t0 := time.Now()
	err := b.gate.acquire(b.rep, more)
	if b.waited == nil {
		b.waited = map[string]float64{}
	}
	b.waited[op.Kind.String()] += time.Since(t0).Seconds()
	return err
}

// Do implements ot.BlockSet.
func (b *gatedBlocks) Do(op *ot.Op) ([]*ot.Reply, error) {
	dense := 4 * int64(b.n) * int64(b.m)
	switch op.Kind {
	case ot.OpCost:
		// A new dense matrix, and the exact solver's arrays after it
		// (schedule.WorkerBytes's allowance).
		if err := b.acquire(op, dense+64*int64(b.n+b.m)); err != nil {
			return nil, err
		}
	case ot.OpKernel, ot.OpAbsorb:
		// A dense block may switch to the sparse form, built beside it:
		// below ot.SparseDensity of its entries, at ot.SparseEntryBytes
		// each (6, or 8 above ot.MaxNarrowCols columns).
		if b.anyDense() {
			sparse := ot.SparseDensity * float64(ot.SparseEntryBytes(b.m)) * float64(b.n) * float64(b.m)
			if err := b.acquire(op, int64(sparse)); err != nil {
				return nil, err
			}
		}
	}
	reps, err := b.LocalBlocks.Do(op)
	if err != nil {
		return nil, err
	}
	switch op.Kind {
	case ot.OpCost:
		b.sparse = make([]int64, len(b.Blocks))
		b.gate.set(b.rep, dense+64*int64(b.n+b.m))
	case ot.OpKernel, ot.OpAbsorb:
		for i, r := range reps {
			if blk := b.Blocks[i]; b.sparse[i] == 0 && r.Mass < ot.SparseDensity {
				b.sparse[i] = ot.KernelBytes(blk.Hi-blk.Lo, b.m, r.Mass)
			}
		}
		held := int64(0)
		if b.anyDense() {
			held = dense
		}
		for _, x := range b.sparse {
			held += x
		}
		b.gate.set(b.rep, held)
	case ot.OpRelease:
		b.sparse = nil
		b.gate.set(b.rep, 0)
	}
	return reps, nil
}

// anyDense reports whether a block holds the dense matrix.
func (b *gatedBlocks) anyDense() bool {
	for _, x := range b.sparse {
		if x == 0 {
			return true
		}
	}
	return false
}
