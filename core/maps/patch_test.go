package maps

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/otceseg/otceseg/core/dataset"
)

func openFixture(t *testing.T, side string) *dataset.Domain {
	t.Helper()
	file := func(name string) dataset.File {
		b, err := os.ReadFile(filepath.Join("testdata", "patch", name))
		if err != nil {
			t.Fatal(err)
		}
		return dataset.NewMemFile(name, b)
	}
	d, err := dataset.Open(side, []dataset.File{file(side + "_features.npy")}, []dataset.File{file(side + "_labels.npy")}, dataset.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestPatchesMatchPOT compares the patch-wise maps with the independent
// NumPy + POT (ot.emd) implementation of scripts/maps_reference.py.
func TestPatchesMatchPOT(t *testing.T) {
	var want struct {
		Strides map[string]struct {
			Rows, Cols     int
			OTCE           []*float64
			Source, Target []int
		}
	}
	b, err := os.ReadFile(filepath.Join("testdata", "patch", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	src, tgt := openFixture(t, "source"), openFixture(t, "target")
	if len(want.Strides) == 0 {
		t.Fatal("no strides in expected.json")
	}
	for key, w := range want.Strides {
		s, _ := strconv.Atoi(key)
		pm, err := Patches(context.Background(), src, tgt, s, "none")
		if err != nil {
			t.Fatal(err)
		}
		if pm.Rows != w.Rows || pm.Cols != w.Cols || len(w.OTCE) != w.Rows*w.Cols {
			t.Fatalf("stride %d: %d×%d patches, want %d×%d", s, pm.Rows, pm.Cols, w.Rows, w.Cols)
		}
		worst := 0.0
		for k, v := range w.OTCE {
			if pm.Source[k] != w.Source[k] || pm.Target[k] != w.Target[k] {
				t.Errorf("stride %d patch %d: %d and %d pixels, want %d and %d", s, k, pm.Source[k], pm.Target[k], w.Source[k], w.Target[k])
			}
			if v == nil {
				if !math.IsNaN(pm.OTCE[k]) {
					t.Errorf("stride %d patch %d: OTCE %v, want NaN", s, k, pm.OTCE[k])
				}
				continue
			}
			worst = math.Max(worst, math.Abs(pm.OTCE[k]-*v))
		}
		t.Logf("stride %d: largest |Δ| %.2g over %d patches", s, worst, len(w.OTCE))
		if worst > 1e-9 {
			t.Errorf("stride %d: the patch map differs from POT's by %.2g", s, worst)
		}
	}
}
