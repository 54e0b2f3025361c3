package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"time"

	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/report"
)

// progress shows on stderr what the scoring does: the candidate, the
// repetition, the phase (reading, sampling, cost, exact plan, iterations) and
// an ETA. On a terminal it rewrites one line at most five times a second;
// otherwise (CI, nohup, a pipe) it writes whole lines: the first event at
// once (a sign of life within a second of the start) and each new phase of
// the first repetition (reading, sampling, cost, exact plan, the first
// iteration), then the current state at most once per `every` (10 s) — at
// an event, or from a ticker when a long phase sends none — so a log grows
// by six lines a minute. After the first repetition it prints one line
// with the estimated time of the whole run.
//
// The ETA counts work in repetitions: candidate c at repetition r with a
// fraction f of it done has done c·K + r + f of total·K. A Sinkhorn
// repetition's f is read from the marginal error on a log scale, from the
// first iteration's error down to --tol (capped at 0.9: the score rule
// may stop earlier, the error may stall); the other phases count 0. The
// ETA is elapsed·(remaining/done): it converges as repetitions finish, and
// is shown once a repetition is finished or a tenth of one is done.
type progress struct {
	w     io.Writer
	tty   bool
	every time.Duration
	now   func() time.Time

	mu        sync.Mutex
	total, k  int // candidates, repetitions each
	tol       float64
	cand      int // candidates finished
	start     time.Time
	last      time.Time // of the last line written
	lastPhase string
	firstErr  float64 // marginal error at the first iteration of the repetition
	estimated bool
	drawn     bool                   // a terminal line is on screen
	state     func(time.Time) string // the last event's line, at a given time
	stop      chan struct{}          // ends the ticker
	finished  bool                   // done was called: no more ticks
}

// newProgress returns the progress of total candidates, or nil (which
// shows nothing) with quiet or when stderr is not a file.
func newProgress(stderr io.Writer, quiet bool, total int, s report.Settings) *progress {
	if quiet {
		return nil
	}
	f, ok := stderr.(*os.File)
	if !ok {
		return nil // the tests' buffers: messages only
	}
	tty := false
	if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
		tty = true
	}
	p := startProgress(stderr, tty, total, s)
	p.stop = make(chan struct{})
	go func() {
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tk.C:
				p.tick()
			}
		}
	}()
	return p
}

// startProgress returns the progress of total candidates on w (a terminal
// when tty), without newProgress's ticker.
func startProgress(w io.Writer, tty bool, total int, s report.Settings) *progress {
	return &progress{w: w, tty: tty, every: 10 * time.Second, now: time.Now, total: total, k: s.K, tol: s.Tol}
}

// update is the otce.Options.Progress callback.
func (p *progress) update(e otce.Progress) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.now()
	if p.start.IsZero() {
		p.start = t
	}
	frac := 0.0
	switch e.Phase {
	case otce.PhaseSampling:
		p.firstErr = 0
	case otce.PhaseIterations:
		if p.firstErr == 0 && e.Error > 0 {
			p.firstErr = e.Error
		}
		if p.firstErr > p.tol && e.Error > 0 && e.Error < p.firstErr {
			frac = math.Min(0.9, math.Log(p.firstErr/e.Error)/math.Log(p.firstErr/p.tol))
		}
	case otce.PhaseDone:
		frac = 1
	}
	units := float64(p.total * p.k)
	done := float64(p.cand*p.k+e.Rep) + frac
	elapsed := t.Sub(p.start)
	eta := ""
	if done >= 0.1 && done < units {
		rest := time.Duration(float64(elapsed) * (units - done) / done)
		eta = ", ETA " + dur(rest)
	}
	if e.Phase == otce.PhaseDone && !p.estimated && done < units {
		p.estimated = true
		p.line(t, fmt.Sprintf("otce: the first repetition took %s: about %s in all for %d candidate(s) × %d repetitions (a rough estimate)",
			dur(elapsed), dur(time.Duration(float64(elapsed)*units/done)), p.total, p.k))
	}
	what := e.Phase
	if e.Phase == otce.PhaseIterations {
		what = fmt.Sprintf("iteration %d (ε stage %d/%d), marginal error %.2e", e.Iteration, e.Stage, e.Stages, e.Error)
	}
	name := ""
	if p.total > 1 || e.Candidate != "" {
		name = fmt.Sprintf("candidate %d/%d %s, ", min(p.cand+1, p.total), p.total, e.Candidate)
	}
	msg := fmt.Sprintf("otce: %srepetition %d/%d: %s; %s elapsed%s", name, e.Rep+1, e.K, what, dur(elapsed), eta)
	p.state = func(at time.Time) string {
		return fmt.Sprintf("otce: %srepetition %d/%d: %s; %s elapsed%s", name, e.Rep+1, e.K, what, dur(at.Sub(p.start)), eta)
	}
	if p.tty {
		if p.last.IsZero() || t.Sub(p.last) >= 200*time.Millisecond || e.Phase != p.lastPhase && e.Phase != otce.PhaseDone {
			fmt.Fprintf(p.w, "\r\033[K%s", msg)
			p.drawn, p.last, p.lastPhase = true, t, e.Phase
		}
		return
	}
	// The first repetition's phases each get a line at once (reading,
	// sampling, cost, exact plan, the first iteration): a log shows within
	// seconds what runs, before the throttle to one line per `every`.
	first := p.cand == 0 && e.Rep == 0 && e.Phase != p.lastPhase && e.Phase != otce.PhaseDone
	if p.last.IsZero() || t.Sub(p.last) >= p.every || first {
		p.line(t, msg)
		p.lastPhase = e.Phase
	}
}

// tick writes the last state again, with the time elapsed now, when no
// line was written for `every` (on a terminal: for a second): a long phase
// without events (reading big files, an exact plan, a big cost matrix)
// still shows a sign of life.
func (p *progress) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.now()
	if p.state == nil || p.last.IsZero() || p.finished {
		return
	}
	if p.tty {
		if t.Sub(p.last) >= time.Second { // the elapsed time moves on screen too
			fmt.Fprintf(p.w, "\r\033[K%s", p.state(t))
			p.drawn, p.last = true, t
		}
		return
	}
	if t.Sub(p.last) >= p.every {
		p.line(t, p.state(t))
	}
}

// line writes a whole line (erasing the terminal's progress line first)
// at time t. The caller holds mu.
func (p *progress) line(t time.Time, s string) {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
	fmt.Fprintln(p.w, s)
	p.last = t
}

// println writes a message line between progress updates.
func (p *progress) println(s string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
	fmt.Fprintln(p.w, s)
}

// candidateDone counts a finished (or failed) candidate.
func (p *progress) candidateDone() {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.cand++
	p.mu.Unlock()
}

// done erases the terminal's progress line and ends the ticker.
func (p *progress) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finished = true
	if p.stop != nil {
		close(p.stop)
		p.stop = nil
	}
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

// dur formats a duration for people: 42 s, 3 min 5 s, 1 h 20 min.
func dur(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s < 3600:
		return fmt.Sprintf("%d min %d s", s/60, s%60)
	}
	return fmt.Sprintf("%d h %d min", s/3600, s%3600/60)
}
