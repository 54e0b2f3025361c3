//go:build js && wasm

package main

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/otceseg/otceseg/core/ot"
	"honnef.co/go/js/dom/v2"
)

// progressView shows where a run is and how long it may take.
type progressView struct {
	root  dom.Element
	bar   dom.Element
	text  dom.Element
	timer dom.Element
	// live is read out by screen readers (aria-live): the candidate and the
	// repetition, a change at a time, not the text redrawn five times a
	// second.
	live dom.Element

	mu    sync.Mutex
	st    progressState
	start time.Time
	// doneAt is the start of the run whose final word (draw(true)) is on
	// the view: a tick of the same run that comes later draws nothing, so
	// that "All N candidate(s) done." is never replaced by a running text.
	doneAt time.Time
}

type progressState struct {
	cands, k  int
	solver    string // the settings' solver: names the phase before the first iteration
	maxIter   int
	repsDone  int     // repetitions finished over the whole run
	repIters  float64 // mean iterations of the finished repetitions
	itersSeen int
	solved    int // repetitions solved (for repIters)
	// slots are the candidates running at once, one a slot (several only
	// when small problems run side by side in the workers).
	slots []candProgress
}

// candProgress is where one running candidate is.
type candProgress struct {
	active bool
	cand   int
	name   string
	rep    int
	phase  string
	ot     ot.Progress
	done   int // this candidate's finished repetitions (counted in repsDone)
}

func newProgressView() *progressView {
	p := &progressView{}
	p.bar = el("progress", attrs{"id": "overall", "max": "1", "value": "0", "aria-label": "share of the run done"})
	p.text = el("p", attrs{"id": "progress-text", "class": "progress-text"})
	p.live = el("p", attrs{"id": "progress-live", "class": "visually-hidden", "aria-live": "polite"})
	p.timer = el("p", attrs{"id": "progress-time", "class": "progress-text"})
	p.root = el("div", attrs{"class": "progress", "hidden": ""}, p.bar, p.text, p.timer, p.live)
	return p
}

// progressSlot is one running candidate's handle on the progress view.
type progressSlot struct {
	pv *progressView
	i  int
}

// update changes the run's state and the slot's candidate under the lock.
func (ps progressSlot) update(f func(g *progressState, c *candProgress)) {
	ps.pv.mu.Lock()
	f(&ps.pv.st, &ps.pv.st.slots[ps.i])
	ps.pv.mu.Unlock()
}

// fraction estimates the share of the run done: finished repetitions, plus
// each running one's iterations against the mean of the finished ones (or
// its ε stage while none has finished).
func (st *progressState) fraction() float64 {
	total := float64(st.cands * st.k)
	if total == 0 {
		return 0
	}
	done := float64(st.repsDone)
	for _, c := range st.slots {
		if !c.active || c.ot.Stages == 0 {
			continue
		}
		cur := 0.0
		if st.repIters > 0 {
			cur = float64(c.ot.Iteration) / st.repIters
		} else {
			cur = float64(c.ot.Stage-1) / float64(c.ot.Stages)
		}
		done += min(cur, 0.95)
	}
	return min(done/total, 1)
}

func clock(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

func (p *progressView) draw(done bool) {
	p.mu.Lock()
	if !done && p.doneAt.Equal(p.start) {
		p.mu.Unlock()
		return
	}
	if done {
		p.doneAt = p.start
	}
	st := p.st
	st.slots = append([]candProgress(nil), p.st.slots...)
	p.mu.Unlock()
	f := st.fraction()
	if done {
		f = 1
	}
	if f == 0 {
		// Nothing measurable yet (the files open, the cost is built): an
		// indeterminate bar, which moves, instead of a still 0.
		p.bar.RemoveAttribute("value")
	} else {
		setProp(p.bar, "value", f)
	}
	var parts []string
	say := ""
	for _, c := range st.slots {
		if !c.active {
			continue
		}
		if say == "" {
			say = fmt.Sprintf("Candidate %d of %d, %s", c.cand, st.cands, c.name)
			if st.k > 0 && c.rep > 0 {
				say += fmt.Sprintf(", repetition %d of %d", c.rep, st.k)
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Candidate %d of %d (%s)", c.cand, st.cands, c.name)
		if st.k > 0 && c.rep > 0 {
			fmt.Fprintf(&b, " · repetition %d of %d", c.rep, st.k)
		}
		switch {
		case c.phase != "":
			b.WriteString(" · " + c.phase)
		case c.ot.Stages > 0:
			fmt.Fprintf(&b, " · ε stage %d of %d (ε = %.3g) · iteration %d", c.ot.Stage, c.ot.Stages, c.ot.Eps, c.ot.Iteration)
			if st.maxIter > 0 {
				fmt.Fprintf(&b, " of at most %d", st.maxIter)
			}
			fmt.Fprintf(&b, " · marginal error %.2g", c.ot.Error)
		case st.solver == "emd":
			b.WriteString(" · computing the cost and the exact plan")
		default:
			b.WriteString(" · computing the cost and the kernel")
		}
		parts = append(parts, b.String())
	}
	if done {
		say = fmt.Sprintf("All %d candidate(s) done.", st.cands)
	}
	if say != "" && p.live.TextContent() != say {
		p.live.SetTextContent(say)
	}
	if done {
		p.text.SetTextContent(fmt.Sprintf("All %d candidate(s) done.", st.cands))
	} else {
		p.text.SetTextContent(strings.Join(parts, "; "))
	}
	el := time.Since(p.start)
	t := "Elapsed " + clock(el)
	switch {
	case done:
	case st.repsDone == 0:
		// Before a repetition has finished the share done is a guess.
		t += " · estimating the time left after the first repetition"
	case f > 0.02 && el > 2*time.Second:
		t += " · about " + clock(time.Duration(float64(el)*(1-f)/f)) + " left"
	}
	p.timer.SetTextContent(t)
}
