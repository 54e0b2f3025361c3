package main

import (
	"os"
	"strings"
	"testing"
	"unicode"
)

// FuzzManifest feeds arbitrary bytes to the manifest parser of `otce rank`:
// it must never panic, and must either refuse the manifest with one line
// naming it, or return one uniquely named candidate (or error) per entry.
// Relative paths resolve against testdata/, so that seeds naming real files
// get past the parser into the file checks.
func FuzzManifest(f *testing.F) {
	f.Add(mustReadF(f, td("manifest.json")))
	for _, s := range []string{
		`{"target_labels": "t/", "candidates": [{"name": "a", "source_features": "a/", "source_labels": ["x.png", "y.png"], "target_features": "b.npz", "accuracy": 71.3}]}`,
		`{"candidates": [{"source_features": "src_bundle.npz", "target_features": "tgt_bundle.npz"}, {"source_features": "src_bundle.npz", "target_features": "tgt_bundle.npz"}]}`,
		`{"candidates": [{"name": "x"}, {"name": "x"}]}`,
		`{"candidates": []}`,
		`{"candidates": [{"name": "a", "source_features": 3}]}`,
		`{"candidates": [{"name": "a", "extra": 1}]}`,
		`{"candidates": [{"name": "a", "source_features": ["/", "..", "src_images"]}]} {}`,
		`{"candidates": [{"name": "a\nb"}, {"name": "a\\nb"}, {"name": ".."}]}`,
		`[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := td("fuzz.json")
		cands, errs, err := parseManifest(data, path)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, path+": ") || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("bad message %q", msg)
			}
			if cands != nil || errs != nil {
				t.Fatal("candidates returned with an error")
			}
			return
		}
		if len(cands) == 0 || len(cands) != len(errs) {
			t.Fatalf("%d candidates, %d errors", len(cands), len(errs))
		}
		seen := map[string]bool{}
		for i, c := range cands {
			if c.Name == "" || seen[c.Name] {
				t.Fatalf("candidate %d: empty or repeated name %q", i, c.Name)
			}
			if strings.ContainsFunc(c.Name, unicode.IsControl) {
				t.Fatalf("candidate %d: name %q holds a control character", i, c.Name)
			}
			seen[c.Name] = true
			if errs[i] != nil {
				continue
			}
			if len(c.SourceFeatures) == 0 || len(c.SourceLabels) == 0 || len(c.TargetFeatures) == 0 || len(c.TargetLabels) == 0 {
				t.Fatalf("candidate %q accepted with a side missing: %+v", c.Name, c)
			}
		}
	})
}

func mustReadF(f *testing.F, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	return b
}
