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
}
