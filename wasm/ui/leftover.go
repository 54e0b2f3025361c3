//go:build js && wasm

package main

import (
	"fmt"
	"path"
	"strings"
	"syscall/js"

	"github.com/otceseg/otceseg/core/dataset"
)

// leftoverHint adds to a pairing error of the core ("…: no label file with
// the same stem", "…: no feature file with the same stem") the target label
// files that pair with none of the candidate's target features, when there
// are any: files left from an earlier choice (the demo's, say) are the
// usual cause, and the core's message names one file only.
func leftoverHint(msg string, tf, tl []js.Value) string {
	if !strings.Contains(msg, "with the same stem") || len(tf) == 0 || len(tl) == 0 {
		return ""
	}
	stems := map[string]bool{}
	for _, f := range tf {
		stems[dataset.Stem(path.Base(fileName(f)))] = true
	}
	var left []string
	for _, f := range tl {
		if n := path.Base(fileName(f)); !stems[dataset.Stem(n)] {
			left = append(left, n)
		}
	}
	if len(left) == 0 {
		return ""
	}
	names := strings.Join(left[:min(3, len(left))], ", ")
	if len(left) > 3 {
		names += fmt.Sprintf(" and %d more", len(left)-3)
	}
	return fmt.Sprintf(" — %d target label file(s) match none of the target features, left over from an earlier choice? (%s): clear the target labels and add yours again.", len(left), names)
}
