package main

import (
	"strings"
	"testing"
)

// TestHelpIntegerFlags: -h lists the integer flags (wrapped by
// wholeNumbers) with their defaults, as for the flag package's own, and no
// "panic calling String method" line (flag.PrintDefaults calls String on a
// zero wholeNumber).
func TestHelpIntegerFlags(t *testing.T) {
	_, errs, code := runCLI(t, "score", "-h")
	if code != 2 {
		t.Errorf("score -h: exit %d, want 2", code)
	}
	if strings.Contains(errs, "panic") {
		t.Errorf("score -h prints a panic:\n%s", errs)
	}
	for _, want := range []string{"-n value", "(default 10000)", "-k value", "-workers value"} {
		if !strings.Contains(errs, want) {
			t.Errorf("score -h does not list %q:\n%s", want, errs)
		}
	}
	// As the flag package's own integer flags: no default shown for 0.
	if strings.Contains(errs, "(default 0)") {
		t.Errorf("score -h shows a default of 0:\n%s", errs)
	}
}
