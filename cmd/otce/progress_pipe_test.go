package main

import (
	"bufio"
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestProgressPipe runs `otce score` with stderr on a pipe (not a
// terminal, as under CI or `2>&1 | ts`) and reads the progress lines as
// they come (issue 21 item 6): the first line names the reading phase, and
// the first repetition's phases follow in order, each on a line of its own
// before the next phase starts — reading, sampling, cost, the exact plan
// of Sinkhorn's warm start, the first iteration. No time is asserted.
func TestProgressPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	lines := make(chan []string)
	go func() {
		var got []string
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			got = append(got, sc.Text())
		}
		lines <- got
	}()
	var out bytes.Buffer
	// The fixtures at the paper's raw cost and ε: ε/median(C) ≈ 1.7e-3,
	// below ot.WarmStartBelow, so the Sinkhorn starts from the exact plan.
	err = run([]string{"score", "--source-features", td("src_nchw.npy"), "--source-labels", td("src_labels.npy"),
		"--target-features", td("tgt_nchw.npy"), "--target-labels", td("tgt_labels.npy"),
		"-k", "2", "--metrics", "otce", "--format", "json"}, &out, w)
	w.Close()
	got := <-lines
	r.Close()
	if err != nil {
		t.Fatalf("otce score: %v\n%s", err, strings.Join(got, "\n"))
	}
	if !strings.Contains(out.String(), `"warm_started": true`) {
		t.Fatalf("the fixtures' solve was not warm-started: no exact plan to report\n%s", out.String())
	}
	if len(got) == 0 || !strings.HasPrefix(got[0], "otce: repetition 1/2: reading; ") {
		t.Fatalf("first line: want the reading phase\n%s", strings.Join(got, "\n"))
	}
	k := 0
	for _, want := range []string{": reading; ", ": sampling; ", ": cost; ", ": exact plan; ", ": iteration 1 ("} {
		for k < len(got) && !strings.Contains(got[k], "repetition 1/2"+want) {
			k++
		}
		if k == len(got) {
			t.Fatalf("the first repetition's phase %q missing or out of order:\n%s", strings.TrimSpace(want), strings.Join(got, "\n"))
		}
	}
	for _, l := range got {
		if strings.ContainsAny(l, "\r\033") {
			t.Errorf("terminal controls on a pipe: %q", l)
		}
	}
}
