package otce

import (
	"context"
	"errors"
	"testing"

	"github.com/otceseg/otceseg/core/arrays"
	"github.com/otceseg/otceseg/core/dataset"
)

// TestErrorFile: a candidate that fails on one file reports the file in
// ErrorFile (the page shows the message next to it) besides the message,
// which the domain's wrapping ("source: …") leaves unchanged; an error about
// no one file leaves ErrorFile empty.
func TestErrorFile(t *testing.T) {
	f := func(n string) dataset.File { return dataset.NewMemFile(n, nil) }
	for _, c := range []struct {
		what      string
		cand      Candidate
		msg, file string
	}{
		{"features without labels", Candidate{Name: "c",
			SourceFeatures: []dataset.File{f("a_feat.npy"), f("b_feat.npy")}, SourceLabels: []dataset.File{f("a_labels.png"), f("c_labels.png")},
			TargetFeatures: []dataset.File{f("t_feat.npy")}, TargetLabels: []dataset.File{f("t_labels.png")}},
			"source: b_feat.npy: no label file with the same stem", "b_feat.npy"},
		{"an empty file", Candidate{Name: "c",
			SourceFeatures: []dataset.File{f("dir/s_feat.npy")}, SourceLabels: []dataset.File{f("s_labels.png")},
			TargetFeatures: []dataset.File{f("t_feat.npy")}, TargetLabels: []dataset.File{f("t_labels.png")}},
			"dir/s_feat.npy: not an .npy file: only 0 bytes", "dir/s_feat.npy"},
		{"no feature files", Candidate{Name: "c", SourceLabels: []dataset.File{f("s_labels.png")}},
			"source: no feature files", ""},
	} {
		r := ScoreWith(context.Background(), c.cand, DefaultSettings(), Options{})
		if r.Error != c.msg || r.ErrorFile != c.file {
			t.Errorf("%s: error %q about %q, want %q about %q", c.what, r.Error, r.ErrorFile, c.msg, c.file)
		}
	}
	// A later error about no file forgets the file of an earlier one.
	sm := NewSummary(Candidate{Name: "x"}, nil, DefaultSettings())
	sm.SetError(arrays.Errorf("x.npy", "bad"))
	sm.SetError(errors.New("cancelled"))
	if r := sm.Result(); r.Error != "cancelled" || r.ErrorFile != "" {
		t.Errorf("error %q about %q after a later error about no file", r.Error, r.ErrorFile)
	}
}
