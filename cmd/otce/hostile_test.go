//go:build unix

// The hostile inputs of issue 18 (symbolic links and named pipes among them:
// Unix only).

package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/otceseg/otceseg/core/arrays"
)

// Hostile and mistaken inputs, round two (issue 18): each case is one line
// naming the file and the problem, with exit status 2, or a clean score.

// scoreArgs are the fixtures' four paths with the given ones replaced.
func scoreArgs(over ...string) []string {
	base := map[string]string{
		"--source-features": td("src_nchw.npy"), "--source-labels": td("src_labels.npy"),
		"--target-features": td("tgt_nchw.npy"), "--target-labels": td("tgt_labels.npy"),
	}
	set := map[string]bool{}
	for i := 0; i+1 < len(over); i += 2 {
		set[over[i]] = true
	}
	args := []string{"score", "-k", "1", "-n", "300"}
	for _, k := range []string{"--source-features", "--source-labels", "--target-features", "--target-labels"} {
		if !set[k] {
			args = append(args, k, base[k])
		}
	}
	return append(args, over...)
}

// wantOneLine runs the CLI and checks exit status 2 and a one-line message
// holding every part of want.
func wantOneLine(t *testing.T, args []string, want ...string) string {
	t.Helper()
	out, errs, code := runCLI(t, args...)
	if code != 2 {
		t.Fatalf("exit %d, want 2; stdout %q stderr %q", code, out, errs)
	}
	if strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Errorf("message is not one line: %q", errs)
	}
	for _, w := range want {
		if !strings.Contains(errs, w) {
			t.Errorf("message %q does not mention %q", errs, w)
		}
	}
	return errs
}

func writeTestNPY(t *testing.T, path string, shape []int, descr string, data any) string {
	t.Helper()
	b, err := arrays.EncodeNPY(shape, descr, data)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Class 1: labels that are really ids.
func TestHostileInstanceIDs(t *testing.T) {
	dir := t.TempDir()
	const n = 4000
	feats := make([]float32, n*6)
	for i := range feats {
		feats[i] = float32(i%17) / 17
	}
	ids := make([]uint16, n)
	for i := range ids {
		ids[i] = uint16(24000 + i%3000) // Cityscapes-style instance ids
	}
	f := writeTestNPY(t, filepath.Join(dir, "f.npy"), []int{n, 6}, "<f4", feats)
	l := writeTestNPY(t, filepath.Join(dir, "inst_instanceIds.npy"), []int{n}, "<u2", ids)
	wantOneLine(t, scoreArgs("--source-features", f, "--source-labels", l), "inst_instanceIds.npy: more than 1024 distinct label values", "instance-id")
}

// Class 2: features finite in float32 whose squared distances are not.
func TestHostileOverflowingFeatures(t *testing.T) {
	dir := t.TempDir()
	good := mustRead(t, td("src_nchw.npy"))
	hl := int(binary.LittleEndian.Uint16(good[8:10]))
	big := append([]byte(nil), good...)
	data := big[10+hl:]
	for i := 0; i < len(data)/4; i += 50 { // 2 % of the values at 1e20
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(1e20))
	}
	p := filepath.Join(dir, "big.npy")
	if err := os.WriteFile(p, big, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, norm := range []string{"none", "max", "mean", "median"} {
		t.Run(norm, func(t *testing.T) {
			wantOneLine(t, append(scoreArgs("--source-features", p), "--cost-norm", norm), "big.npy: features of norm 1e+20", "overflow float32")
		})
	}
	// Rescaled by the transform, they are fine.
	if _, errs, code := runCLI(t, append(scoreArgs("--source-features", p), "--transform", "l2")...); code != 0 {
		t.Errorf("--transform l2: exit %d: %s", code, errs)
	}
}

// Class 3: folders of symbolic links are followed; a link to nowhere, a
// loop of links and a named pipe are errors naming the entry.
func TestHostileSymlinks(t *testing.T) {
	dir := t.TempDir()
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	mk := func(name string) string {
		d := filepath.Join(dir, name)
		for _, s := range []string{"features", "labels"} {
			if err := os.MkdirAll(filepath.Join(d, s), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	src := abs(td("src_images"))
	// A folder of links only, and one with one file linked, one copied.
	links, mixed := mk("links"), mk("mixed")
	for _, sub := range []string{"features", "labels"} {
		ents, _ := os.ReadDir(filepath.Join(src, sub))
		for i, e := range ents {
			from := filepath.Join(src, sub, e.Name())
			if err := os.Symlink(from, filepath.Join(links, sub, e.Name())); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				if err := os.Symlink(from, filepath.Join(mixed, sub, e.Name())); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(filepath.Join(mixed, sub, e.Name()), mustRead(t, from), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	score := func(d string) string {
		out, errs, code := runCLI(t, "score", "-k", "1", "-n", "1000", "--format", "json",
			"--source-features", filepath.Join(d, "features"), "--source-labels", filepath.Join(d, "labels"),
			"--target-features", filepath.Join(d, "features"), "--target-labels", filepath.Join(d, "labels"))
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", d, code, errs)
		}
		i := strings.Index(out, `"source_valid"`)
		return out[i : i+30]
	}
	want := score(src)
	if got := score(links); got != want {
		t.Errorf("folder of links: %s, want %s", got, want)
	}
	if got := score(mixed); got != want {
		t.Errorf("folder with one link: %s, want %s", got, want)
	}
	// Broken: a dangling link, a loop, a named pipe.
	broken := mk("broken")
	f := filepath.Join(broken, "features")
	if err := os.Symlink(filepath.Join(dir, "nowhere.npy"), filepath.Join(f, "a_feat.npy")); err != nil {
		t.Fatal(err)
	}
	wantOneLine(t, scoreArgs("--source-features", f), "a_feat.npy: a symbolic link that leads to no file")
	os.Remove(filepath.Join(f, "a_feat.npy"))
	os.Symlink(filepath.Join(f, "b_feat.npy"), filepath.Join(f, "c_feat.npy"))
	os.Symlink(filepath.Join(f, "c_feat.npy"), filepath.Join(f, "b_feat.npy"))
	wantOneLine(t, scoreArgs("--source-features", f), "b_feat.npy: a symbolic link that leads to no file: too many levels of symbolic links")
	os.Remove(filepath.Join(f, "b_feat.npy"))
	os.Remove(filepath.Join(f, "c_feat.npy"))
	if err := syscall.Mkfifo(filepath.Join(f, "p_feat.npy"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantOneLine(t, scoreArgs("--source-features", f), "p_feat.npy: not a regular file but a named pipe")
}

// Class 5: --drop-nonfinite on features that are all NaN.
func TestHostileAllNaN(t *testing.T) {
	dir := t.TempDir()
	good := mustRead(t, td("src_nchw.npy"))
	hl := int(binary.LittleEndian.Uint16(good[8:10]))
	nan := append([]byte(nil), good...)
	for i := 10 + hl; i+4 <= len(nan); i += 4 {
		binary.LittleEndian.PutUint32(nan[i:], 0x7fc00000)
	}
	p := filepath.Join(dir, "diverged.npy")
	os.WriteFile(p, nan, 0o644)
	wantOneLine(t, append(scoreArgs("--source-features", p), "--drop-nonfinite"), "diverged.npy: no pixel with finite features")
}

// Class 6: a manifest is read with a bound: an endless stream stops there.
func TestHostileEndlessManifest(t *testing.T) {
	p := filepath.Join(t.TempDir(), "endless.json")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		w, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		chunk := []byte(strings.Repeat(`{"candidates": [`, 4096))
		for {
			if _, err := w.Write(chunk); err != nil {
				return // the reader closed the pipe
			}
		}
	}()
	wantOneLine(t, []string{"rank", "--manifest", p}, "endless.json: larger than 16 MiB: not a manifest")
	<-done
}

// Class 8: names and flags.
func TestHostileNamesAndFlags(t *testing.T) {
	t.Run("malformed number is one line", func(t *testing.T) {
		errs := wantOneLine(t, scoreArgs("-n", "ten"), `invalid value "ten" for flag -n: not a whole number`)
		if strings.Contains(errs, "usage") {
			t.Errorf("usage printed: %q", errs)
		}
		wantOneLine(t, scoreArgs("-n", "1.5"), "not a whole number")
		wantOneLine(t, scoreArgs("--eps", "tiny"), `invalid value "tiny" for flag -eps`)
		wantOneLine(t, scoreArgs("--nonesuch"), "flag provided but not defined: -nonesuch")
	})
	t.Run("-n 1e3 is 1000", func(t *testing.T) {
		a := scoreJSON(t, "--source-features", td("src_nchw.npy"), "--source-labels", td("src_labels.npy"),
			"--target-features", td("tgt_nchw.npy"), "--target-labels", td("tgt_labels.npy"), "-n", "1e3", "-k", "1e0")
		if a.Settings.N != 1000 || a.Settings.K != 1 {
			t.Errorf("N %d K %d", a.Settings.N, a.Settings.K)
		}
	})
	t.Run("-k bounded", func(t *testing.T) {
		wantOneLine(t, scoreArgs("-k", "1e12"), "-k 1000000000000 is larger than this tool handles (10000)")
	})
	for _, eps := range []string{"1e-310", "5e-324"} {
		t.Run("--eps "+eps, func(t *testing.T) {
			wantOneLine(t, scoreArgs("--eps", eps), "--eps "+eps+" is below 2.2250738585072014e-308, the smallest normal float64")
		})
	}
	t.Run("score --name", func(t *testing.T) {
		out, errs, code := runCLI(t, append(scoreArgs("--name", "evil\nrank 1 forged"), "--quiet")...)
		if code != 0 || !strings.Contains(out, `evil\nrank 1 forged`) || strings.Contains(out, "\nrank 1 forged") {
			t.Errorf("exit %d, table %q, stderr %q", code, out, errs)
		}
	})
	t.Run("names", func(t *testing.T) {
		dir := t.TempDir()
		dump := filepath.Join(dir, "dump")
		abs, _ := filepath.Abs("testdata")
		m := fmt.Sprintf(`{"target_labels": %q, "candidates": [
			{"name": "..", "source_features": %q, "source_labels": %q, "target_features": %q},
			{"name": "evil\notce: forged line", "source_features": %q, "source_labels": %q, "target_features": "nonesuch.npy"}]}`,
			filepath.Join(abs, "tgt_labels.npy"), filepath.Join(abs, "src_nchw.npy"), filepath.Join(abs, "src_labels.npy"), filepath.Join(abs, "tgt_nchw.npy"),
			filepath.Join(abs, "src_nchw.npy"), filepath.Join(abs, "src_labels.npy"))
		mp := filepath.Join(dir, "m.json")
		os.WriteFile(mp, []byte(m), 0o644)
		out, errs, code := runCLI(t, "rank", "--manifest", mp, "-k", "1", "-n", "300", "--dump-sample", dump)
		if code != 2 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		if strings.Count(errs, "\n") != 2 || !strings.Contains(errs, `otce: evil\notce: forged line: `) {
			t.Errorf("stderr forged: %q", errs)
		}
		if strings.Count(out, "forged") != 1 || strings.Contains(out, "\notce: forged") {
			t.Errorf("table forged: %q", out)
		}
		if _, err := os.Stat(filepath.Join(dump, "__", "rep0", "xs.npy")); err != nil {
			t.Errorf("candidate .. not dumped inside the folder: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "rep0")); err == nil {
			t.Error("candidate .. dumped outside the folder")
		}
	})
}

// Class 4: a run that cannot fit in the memory left to the process is
// refused before any sampling, naming the largest N that fits. The file is
// (20000, 100, 100) float32, sparse (800 MB that take no disk), the process
// capped at 3 GB of address space.
func TestHostileTooWideForMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI")
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "wide.npy")
	sparseNPY(t, f, "<f4", []int{20000, 100, 100}, 4)
	l := writeTestNPY(t, filepath.Join(dir, "labels.npy"), []int{100, 100}, "|u1", make([]uint8, 10000))
	cmd := exec.Command("sh", "-c", `ulimit -v 3000000 && exec "$@"`, "sh", builtCLI(t), "score", "--quiet", "-k", "1",
		"--source-features", f, "--source-labels", l, "--target-features", f, "--target-labels", l)
	out, err := cmd.CombinedOutput()
	code := -1
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	msg := string(out)
	if code != 2 || strings.Count(strings.TrimSpace(msg), "\n") != 0 ||
		!strings.Contains(msg, "N = 10000 pixels of 20000 channels needs about") || !strings.Contains(msg, "the largest N that fits is") {
		t.Fatalf("exit %d: %q", code, msg)
	}
}
