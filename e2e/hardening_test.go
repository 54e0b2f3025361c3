package e2e

import (
	"path/filepath"
	"testing"
)

// hardening runs the checks of issue 6 on the page of TestBrowser: every bad
// input answered as the CLI answers it, faults survived, memory stable over
// many candidates, and byte-identical results.
func (h *harness) hardening(t *testing.T, root, work string, good fixture) {
	t.Run("BadInputs", func(t *testing.T) { h.t = t; h.badInputs(root, filepath.Join(work, "bad"), good) })
	t.Run("SameJSONAsCLI", func(t *testing.T) { h.t = t; h.sameJSONAsCLI(good) })
	t.Run("WorkerKilled", func(t *testing.T) { h.t = t; h.workerKilled(good) })
	t.Run("BigFileAndCancelWhileReading", func(t *testing.T) { h.t = t; h.bigFile(work) })
	t.Run("TwentyCandidates", func(t *testing.T) {
		h.t = t
		other, err := makeFixture(filepath.Join(work, "other20"), 2, 0.4)
		must(h, err)
		h.manyCandidates(good, other)
	})
	t.Run("IdleThenRun", func(t *testing.T) { h.t = t; h.idleThenRun(good) })
}
