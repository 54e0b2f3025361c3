package e2e

import (
	"path/filepath"
	"testing"
)

// hardening runs the checks of issue 6 on the page of TestBrowser: every bad
// input answered as the CLI answers it, faults survived, memory stable over
// many candidates, and byte-identical results.
func (h *harness) hardening(t *testing.T, root, work string, good fixture) {
	h.subtest(t, "BadInputs", func() { h.badInputs(root, filepath.Join(work, "bad"), good) })
	h.subtest(t, "SameJSONAsCLI", func() { h.sameJSONAsCLI(good) })
	h.subtest(t, "WorkerKilled", func() { h.workerKilled(good) })
	h.subtest(t, "BigFileAndCancelWhileReading", func() { h.bigFile(work) })
	h.subtest(t, "TwentyCandidates", func() {
		other, err := makeFixture(filepath.Join(work, "other20"), 2, 0.4)
		must(h, err)
		h.manyCandidates(good, other)
	})
	h.subtest(t, "IdleThenRun", func() { h.idleThenRun(good) })
}
