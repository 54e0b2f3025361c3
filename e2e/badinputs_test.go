package e2e

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// A bad input: the files of one candidate (the good fixture with some files
// replaced, added or removed), or settings, or a manifest (CLI only). Each
// case runs through the CLI and through the page; both must answer with the
// same message, which docs/BAD_INPUTS.md lists (OTCE_WRITE_DOCS=1 rewrites
// it; otherwise the test checks that it is up to date).
type badCase struct {
	name     string
	settings [][2]string // flag, value
	// files edits the candidate's files in dir (sf, sl, tf, tl subfolders
	// holding copies of the good fixture).
	files func(h *harness, dir string)
	// manifest, if set, is a manifest for `otce rank` (CLI only).
	manifest string
}

// sides are the subfolders of a case: the four inputs of a candidate.
var sides = []string{"sf", "sl", "tf", "tl"}

func must(h *harness, err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

func writeFile(h *harness, p string, b []byte) {
	h.t.Helper()
	must(h, os.WriteFile(p, b, 0o644))
}

func readFile(h *harness, p string) []byte {
	h.t.Helper()
	b, err := os.ReadFile(p)
	must(h, err)
	return b
}

func npyBytes(h *harness, shape []int, descr string, data any) []byte {
	h.t.Helper()
	var buf bytes.Buffer
	hdr := headerNPY(descr, shape)
	buf.Write(hdr)
	must(h, binary.Write(&buf, binary.LittleEndian, data))
	return buf.Bytes()
}

// headerNPY is a version 1.0 .npy header.
func headerNPY(descr string, shape []int) []byte {
	dims := make([]string, len(shape))
	for i, s := range shape {
		dims[i] = fmt.Sprint(s)
	}
	sh := strings.Join(dims, ", ")
	if len(shape) == 1 {
		sh += ","
	}
	hdr := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, sh)
	hdr += strings.Repeat(" ", (64-(10+len(hdr)+1)%64)%64) + "\n"
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(hdr)))
	return append(b, hdr...)
}

// npyData returns the data of a version 1 .npy file.
func npyData(b []byte) []byte {
	hl := int(binary.LittleEndian.Uint16(b[8:]))
	return b[10+hl:]
}

// setFloat32 sets float32 element i of a .npy file to v.
func setFloat32(b []byte, i int, v float32) []byte {
	out := append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(npyData(out)[4*i:], math.Float32bits(v))
	return out
}

// labelsAs rewrites a uint8 label file as int32 labels, with f applied.
func labelsAs(h *harness, b []byte, f func(i int, l int32) int32) []byte {
	d := npyData(b)
	v := make([]int32, len(d))
	for i, x := range d {
		v[i] = f(i, int32(x))
	}
	return npyBytes(h, []int{20, 20}, "<i4", v)
}

type zipEntry struct {
	name string
	data []byte
	// size, if set, is the uncompressed size the directory claims.
	size uint64
	// badCRC, if set, makes the directory's CRC-32 wrong.
	badCRC bool
}

func makeNPZ(h *harness, entries ...zipEntry) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		var c bytes.Buffer
		fw, _ := flate.NewWriter(&c, flate.BestSpeed)
		fw.Write(e.data)
		fw.Close()
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(e.data),
			CompressedSize64: uint64(c.Len()), UncompressedSize64: uint64(len(e.data))}
		if e.size != 0 {
			fh.UncompressedSize64 = e.size
		}
		if e.badCRC {
			fh.CRC32 ^= 0x10
		}
		w, err := zw.CreateRaw(fh)
		must(h, err)
		w.Write(c.Bytes())
	}
	must(h, zw.Close())
	return buf.Bytes()
}

// safetensors builds a .safetensors file from its header entries and data.
func safetensors(h *harness, header map[string]any, data []byte) []byte {
	hb, err := json.Marshal(header)
	must(h, err)
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(hb)))
	return append(append(b, hb...), data...)
}

func pngLabels(h *harness, img image.Image) []byte {
	var buf bytes.Buffer
	must(h, png.Encode(&buf, img))
	return buf.Bytes()
}

func grayFromNPY(b []byte) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, 20, 20))
	copy(g.Pix, npyData(b))
	return g
}

// badCases is every bad input the docs list.
func badCases() []badCase {
	sf0 := func(dir string) string { return filepath.Join(dir, "sf", "src_0_features.npy") }
	sl0 := func(dir string) string { return filepath.Join(dir, "sl", "src_0_labels.npy") }
	sl1 := func(dir string) string { return filepath.Join(dir, "sl", "src_1_labels.npy") }
	edit := func(p func(string) string, f func(h *harness, b []byte) []byte) func(*harness, string) {
		return func(h *harness, dir string) { writeFile(h, p(dir), f(h, readFile(h, p(dir)))) }
	}
	// bundle replaces the source features and labels by one .npz or
	// .safetensors file.
	bundle := func(name string, f func(h *harness, feats, labels []byte) []byte) func(*harness, string) {
		return func(h *harness, dir string) {
			feats, labels := readFile(h, sf0(dir)), readFile(h, sl0(dir))
			for _, s := range []string{"sf", "sl"} {
				ents, _ := os.ReadDir(filepath.Join(dir, s))
				for _, e := range ents {
					os.Remove(filepath.Join(dir, s, e.Name()))
				}
			}
			writeFile(h, filepath.Join(dir, "sf", name), f(h, feats, labels))
		}
	}
	stEntry := func(dtype string, shape []int, begin, end int) map[string]any {
		return map[string]any{"dtype": dtype, "shape": shape, "data_offsets": []int{begin, end}}
	}
	return []badCase{
		{name: "truncated .npy (data cut short)", files: edit(sf0, func(h *harness, b []byte) []byte { return b[:len(b)-1000] })},
		{name: "file cut inside the .npy header", files: edit(sf0, func(h *harness, b []byte) []byte { return b[:40] })},
		{name: "empty file", files: edit(sf0, func(h *harness, b []byte) []byte { return nil })},
		{name: "wrong magic (not a .npy)", files: edit(sf0, func(h *harness, b []byte) []byte { return append([]byte("NOTNUMPY"), b[8:]...) })},
		{name: "corrupt .npy header (not a dict)", files: edit(sf0, func(h *harness, b []byte) []byte {
			out := append([]byte(nil), b...)
			copy(out[10:], "[garbage")
			return out
		})},
		{name: "unsupported dtype: complex128", files: edit(sf0, func(h *harness, b []byte) []byte {
			return append(headerNPY("<c16", []int{8, 20, 5}), npyData(b)...)
		})},
		{name: "unsupported dtype: object", files: edit(sf0, func(h *harness, b []byte) []byte {
			return append(headerNPY("|O", []int{8, 20, 20}), npyData(b)...)
		})},
		{name: "unsupported dtype: unicode string", files: edit(sf0, func(h *harness, b []byte) []byte {
			return append(headerNPY("<U4", []int{8, 20, 5}), npyData(b)...)
		})},
		{name: "header claims a huge shape (10^15 elements)", files: edit(sf0, func(h *harness, b []byte) []byte {
			return append(headerNPY("<f4", []int{1000, 1000000, 1000000}), npyData(b)...)
		})},
		{name: "float labels", files: edit(sl0, func(h *harness, b []byte) []byte {
			d := npyData(b)
			v := make([]float32, len(d))
			for i, x := range d {
				v[i] = float32(x) + 0.5
			}
			return npyBytes(h, []int{20, 20}, "<f4", v)
		})},
		{name: "labels' shape disagrees with the features'", files: edit(sl0, func(h *harness, b []byte) []byte {
			return npyBytes(h, []int{19, 20}, "|u1", npyData(b)[:380])
		})},
		{name: "labels larger by a non-integer factor", files: edit(sl0, func(h *harness, b []byte) []byte {
			return npyBytes(h, []int{30, 30}, "|u1", make([]byte, 900))
		})},
		{name: "source and target features of different widths", files: func(h *harness, dir string) {
			for i := 0; i < 2; i++ {
				p := filepath.Join(dir, "tf", fmt.Sprintf("tgt_%d_features.npy", i))
				writeFile(h, p, append(headerNPY("<f4", []int{6, 20, 20}), npyData(readFile(h, p))[:6*400*4]...))
			}
		}},
		{name: "zero valid pixels (every label is the ignore index)", files: func(h *harness, dir string) {
			for _, p := range []string{sl0(dir), sl1(dir)} {
				b := readFile(h, p)
				for i := range npyData(b) {
					npyData(b)[i] = 255
				}
				writeFile(h, p, b)
			}
		}},
		{name: "NaN in the features", files: edit(sf0, func(h *harness, b []byte) []byte {
			for i := 0; i < 8*400; i += 7 {
				b = setFloat32(b, i, float32(math.NaN()))
			}
			return b
		})},
		{name: "+Inf in the features", files: edit(sf0, func(h *harness, b []byte) []byte {
			for i := 0; i < 8*400; i += 5 {
				b = setFloat32(b, i, float32(math.Inf(1)))
			}
			return b
		})},
		{name: "NaN in the features, with --drop-nonfinite", settings: [][2]string{{"--drop-nonfinite", "true"}}, files: edit(sf0, func(h *harness, b []byte) []byte {
			for i := 0; i < 400; i += 3 {
				b = setFloat32(b, i, float32(math.NaN()))
			}
			return b
		})},
		{name: "label 70000 (larger than 65535)", files: edit(sl0, func(h *harness, b []byte) []byte {
			return labelsAs(h, b, func(i int, l int32) int32 {
				if i == 250 {
					return 70000
				}
				return l
			})
		})},
		{name: "negative label", files: edit(sl0, func(h *harness, b []byte) []byte {
			return labelsAs(h, b, func(i int, l int32) int32 {
				if i == 250 {
					return -3
				}
				return l
			})
		})},
		{name: "features without labels (missing pair)", files: func(h *harness, dir string) { must(h, os.Remove(sl1(dir))) }},
		{name: "two feature files with the same stem (duplicate pair)", files: func(h *harness, dir string) {
			writeFile(h, filepath.Join(dir, "sf", "src_0_logits.npy"), readFile(h, sf0(dir)))
		}},
		{name: "corrupt PNG labels (bad CRC)", files: func(h *harness, dir string) {
			b := pngLabels(h, grayFromNPY(readFile(h, sl0(dir))))
			b[len(b)-20] ^= 0xff
			must(h, os.Remove(sl0(dir)))
			writeFile(h, filepath.Join(dir, "sl", "src_0_labels.png"), b)
		}},
		{name: "RGB PNG labels", files: func(h *harness, dir string) {
			g := grayFromNPY(readFile(h, sl0(dir)))
			rgb := image.NewRGBA(g.Rect)
			for i, v := range g.Pix {
				rgb.Set(i%20, i/20, color.RGBA{v, v, 9, 255})
			}
			must(h, os.Remove(sl0(dir)))
			writeFile(h, filepath.Join(dir, "sl", "src_0_labels.png"), pngLabels(h, rgb))
		}},
		{name: ".npz zip bomb (64 MiB of zeros after the array)", files: bundle("src.npz", func(h *harness, f, l []byte) []byte {
			return makeNPZ(h, zipEntry{name: "features.npy", data: append(append([]byte(nil), f...), make([]byte, 64<<20)...)}, zipEntry{name: "labels.npy", data: l})
		})},
		{name: ".npz whose directory claims 1 TiB", files: bundle("src.npz", func(h *harness, f, l []byte) []byte {
			return makeNPZ(h, zipEntry{name: "features.npy", data: f, size: 1 << 40}, zipEntry{name: "labels.npy", data: l})
		})},
		{name: ".npz member header claims more than the member holds", files: bundle("src.npz", func(h *harness, f, l []byte) []byte {
			return makeNPZ(h, zipEntry{name: "features.npy", data: append(headerNPY("<f4", []int{8, 2000, 2000}), npyData(f)...)}, zipEntry{name: "labels.npy", data: l})
		})},
		{name: "corrupt .npz (deflate stream damaged)", files: bundle("src.npz", func(h *harness, f, l []byte) []byte {
			z := makeNPZ(h, zipEntry{name: "features.npy", data: f}, zipEntry{name: "labels.npy", data: l})
			for i := 200; i < 260; i++ {
				z[i] = 0xff
			}
			return z
		})},
		{name: "not a zip file, named .npz", files: bundle("src.npz", func(h *harness, f, l []byte) []byte { return f })},
		{name: ".npz without a features array", files: bundle("src.npz", func(h *harness, f, l []byte) []byte {
			return makeNPZ(h, zipEntry{name: "feats.npy", data: f}, zipEntry{name: "labels.npy", data: l})
		})},
		{name: "safetensors offsets overlap", files: bundle("src.safetensors", func(h *harness, f, l []byte) []byte {
			fd, ld := npyData(f), npyData(l)
			return safetensors(h, map[string]any{
				"features": stEntry("F32", []int{8, 20, 20}, 0, len(fd)),
				"labels":   stEntry("U8", []int{20, 20}, len(fd)-100, len(fd)+len(ld)-100),
			}, append(append([]byte(nil), fd...), ld...))
		})},
		{name: "safetensors offsets run past the end", files: bundle("src.safetensors", func(h *harness, f, l []byte) []byte {
			fd, ld := npyData(f), npyData(l)
			return safetensors(h, map[string]any{
				"features": stEntry("F32", []int{8, 20, 20}, 0, len(fd)),
				"labels":   stEntry("U8", []int{20, 20}, len(fd)+1000, len(fd)+1000+len(ld)),
			}, append(append([]byte(nil), fd...), ld...))
		})},
		{name: "safetensors header length past the end", files: bundle("src.safetensors", func(h *harness, f, l []byte) []byte {
			b := safetensors(h, map[string]any{"features": stEntry("F32", []int{8, 20, 20}, 0, 12800)}, npyData(f))
			binary.LittleEndian.PutUint64(b, 1<<40)
			return b
		})},
		{name: "safetensors shape disagrees with its offsets", files: bundle("src.safetensors", func(h *harness, f, l []byte) []byte {
			fd, ld := npyData(f), npyData(l)
			return safetensors(h, map[string]any{
				"features": stEntry("F32", []int{8, 20, 21}, 0, len(fd)),
				"labels":   stEntry("U8", []int{20, 20}, len(fd), len(fd)+len(ld)),
			}, append(append([]byte(nil), fd...), ld...))
		})},
		// Round two (issue 18).
		{name: "instance ids as labels (1200 distinct values)", files: func(h *harness, dir string) {
			writeFile(h, filepath.Join(dir, "sf", "src_2_features.npy"), readFile(h, sf0(dir)))
			ids := make([]int32, 1200)
			for i := range ids {
				ids[i] = int32(24000 + i) // Cityscapes instance ids: class·1000 + instance
			}
			for i, p := range []string{sl0(dir), sl1(dir), filepath.Join(dir, "sl", "src_2_labels.npy")} {
				writeFile(h, p, npyBytes(h, []int{20, 20}, "<i4", ids[400*i:400*(i+1)]))
			}
		}},
		{name: "features at 1e20 (squared distances overflow float32), --cost-norm max", settings: [][2]string{{"--cost-norm", "max"}}, files: edit(sf0, func(h *harness, b []byte) []byte {
			for i := 0; i < 8*400; i += 100 {
				b = setFloat32(b, i, 1e20)
			}
			return b
		})},
		{name: "all features NaN, with --drop-nonfinite", settings: [][2]string{{"--drop-nonfinite", "true"}}, files: func(h *harness, dir string) {
			for i := 0; i < 2; i++ {
				p := filepath.Join(dir, "sf", fmt.Sprintf("src_%d_features.npy", i))
				b := readFile(h, p)
				for k := 0; k < 8*400; k++ {
					b = setFloat32(b, k, float32(math.NaN()))
				}
				writeFile(h, p, b)
			}
		}},
		{name: ".npz with two members named features", files: bundle("src.npz", func(h *harness, f, l []byte) []byte {
			return makeNPZ(h, zipEntry{name: "features.npy", data: f}, zipEntry{name: "labels.npy", data: l}, zipEntry{name: "features.npy", data: f})
		})},
		{name: ".npz member with a bad CRC", files: bundle("src.npz", func(h *harness, f, l []byte) []byte {
			return makeNPZ(h, zipEntry{name: "features.npy", data: f}, zipEntry{name: "labels.npy", data: l, badCRC: true})
		})},
		{name: "safetensors tensor named twice", files: bundle("src.safetensors", func(h *harness, f, l []byte) []byte {
			fd, ld := npyData(f), npyData(l)
			hb := fmt.Sprintf(`{"features":{"dtype":"F32","shape":[8,20,20],"data_offsets":[0,%d]},"labels":{"dtype":"U8","shape":[20,20],"data_offsets":[%d,%d]},"features":{"dtype":"F32","shape":[8,20,20],"data_offsets":[0,%d]}}`, len(fd), len(fd), len(fd)+len(ld), len(fd))
			b := binary.LittleEndian.AppendUint64(nil, uint64(len(hb)))
			return append(append(append(b, hb...), fd...), ld...)
		})},
		{name: "--sampling per-class (a good candidate)", settings: [][2]string{{"--sampling", "per-class"}}},
		{name: "-k 100000", settings: [][2]string{{"-k", "100000"}}},
		{name: "--eps 1e-310", settings: [][2]string{{"--eps", "1e-310"}}},
		{name: "--eps 5e-324", settings: [][2]string{{"--eps", "5e-324"}}},
		{name: "manifest candidate named .. with a newline in another's name", manifest: `{"target_labels": "tl", "candidates": [{"name": "..\nm", "source_features": "sf/nonesuch.npy", "source_labels": "sl", "target_features": "tf"}]}`},
		{name: "-n 0", settings: [][2]string{{"-n", "0"}}},
		{name: "-n -5", settings: [][2]string{{"-n", "-5"}}},
		{name: "-k 0", settings: [][2]string{{"-k", "0"}}},
		{name: "-k -2", settings: [][2]string{{"-k", "-2"}}},
		{name: "--eps 0", settings: [][2]string{{"--eps", "0"}}},
		{name: "--eps -0.1", settings: [][2]string{{"--eps", "-0.1"}}},
		{name: "manifest naming a missing file", manifest: `{"target_labels": "tl", "candidates": [{"name": "m", "source_features": "sf/nonesuch.npy", "source_labels": "sl", "target_features": "tf"}]}`},
		{name: "manifest with an unknown field", manifest: `{"candidates": [{"name": "m", "source_feature": "sf"}]}`},
		{name: "manifest that is not JSON", manifest: `candidates: [m]`},
		{name: "manifest with no candidates", manifest: `{"candidates": []}`},
	}
}

// caseFiles lists the files of each side of a case folder.
func caseFiles(h *harness, dir string) map[string][]string {
	out := map[string][]string{}
	for _, s := range sides {
		ents, err := os.ReadDir(filepath.Join(dir, s))
		must(h, err)
		for _, e := range ents {
			out[s] = append(out[s], filepath.Join(dir, s, e.Name()))
		}
	}
	return out
}

// scoredMessage describes a successful run the same way for both.
func scoredMessage(otceMean float64, warnings []string) string {
	m := fmt.Sprintf("scored: OTCE = %.6f", otceMean)
	for _, w := range warnings {
		m += "; warning: " + w
	}
	return m
}

// cliAnswer runs a case through the CLI.
func (h *harness) cliAnswer(tc badCase, dir string) string {
	var args []string
	if tc.manifest != "" {
		mp := filepath.Join(dir, "manifest.json")
		writeFile(h, mp, []byte(tc.manifest))
		args = []string{"rank", "--manifest", mp}
	} else {
		args = []string{"score"}
		fs := caseFiles(h, dir)
		for _, s := range sides {
			flag := map[string]string{"sf": "--source-features", "sl": "--source-labels", "tf": "--target-features", "tl": "--target-labels"}[s]
			for _, f := range fs[s] {
				args = append(args, flag, f)
			}
		}
	}
	args = append(args, "-n", "300", "-k", "1", "--format", "json", "--quiet")
	for _, kv := range tc.settings {
		if kv[0] == "--drop-nonfinite" {
			args = append(args, kv[0]+"="+kv[1])
		} else {
			args = append(args, kv[0], kv[1])
		}
	}
	cmd := exec.Command(h.cli, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil {
		var r struct {
			OTCEMean float64  `json:"otce_mean"`
			Warnings []string `json:"warnings"`
		}
		must(h, json.Unmarshal(stdout.Bytes(), &r))
		return scoredMessage(r.OTCEMean, r.Warnings)
	}
	if cmd.ProcessState.ExitCode() != 2 {
		h.t.Errorf("%s: exit status %d, want 2 (%v)", tc.name, cmd.ProcessState.ExitCode(), err)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if tc.manifest == "" && len(lines) != 1 {
		h.t.Errorf("%s: the message is not one line: %q", tc.name, stderr.String())
	}
	if tc.manifest != "" && len(lines) > 1 {
		// rank: the candidate's line, then the summary.
		lines = lines[:1]
	}
	msg := strings.TrimPrefix(lines[0], "otce: ")
	if tc.manifest != "" {
		msg = strings.TrimPrefix(msg, "m: ")
	}
	// The page knows files by name only: drop the folders.
	for _, s := range sides {
		msg = strings.ReplaceAll(msg, filepath.Join(dir, s)+"/", "")
	}
	return strings.ReplaceAll(msg, dir+"/", "")
}

// pageAnswer runs a case through the page.
func (h *harness) pageAnswer(tc badCase, dir string) string {
	h.load()
	h.setSetting("set-n", "300")
	h.setSetting("set-k", "1")
	for _, kv := range tc.settings {
		id := "set-" + strings.TrimLeft(kv[0], "-")
		if kv[0] == "--drop-nonfinite" {
			eval[bool](h, fmt.Sprintf(`document.getElementById(%q).checked = %s`, id, kv[1]))
			continue
		}
		h.setSetting(id, kv[1])
	}
	fs := caseFiles(h, dir)
	h.setSetting("cand-1-name", "case")
	for _, s := range []string{"sf", "sl", "tf"} {
		if len(fs[s]) > 0 {
			h.setFiles("cand-1-"+s+"-files", fs[s])
		}
	}
	h.setFiles("target-labels-files", fs["tl"])
	h.click("run")
	deadline := time.Now().Add(2 * time.Minute)
	reclick := time.Now().Add(10 * time.Second)
	for {
		st := h.state()
		if st == "idle" && time.Now().After(reclick) {
			// The click can land before the page has taken the files in;
			// the page then says why it did not start. Click once more.
			h.t.Logf("%s: still idle after Run (status %q): clicking again", tc.name, eval[string](h, `document.getElementById("status").textContent`))
			h.click("run")
			reclick = deadline
		}
		if st == "done" || st == "refused" {
			break
		}
		if st == "idle" && !eval[bool](h, `document.getElementById("settings-error").hidden`) {
			return eval[string](h, `document.getElementById("settings-error").textContent`)
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s: page state %q", tc.name, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var r struct {
		Candidates []struct {
			OTCEMean float64  `json:"otce_mean"`
			Warnings []string `json:"warnings"`
			Error    string   `json:"error"`
			File     string   `json:"error_file"`
		} `json:"candidates"`
	}
	must(h, json.Unmarshal([]byte(eval[string](h, `document.getElementById("results-json").textContent`)), &r))
	if len(r.Candidates) != 1 {
		h.t.Fatalf("%s: %d candidates in the page's JSON", tc.name, len(r.Candidates))
	}
	c := r.Candidates[0]
	if c.Error != "" {
		h.checkShownAt(tc, fs, c.Error, c.File)
		return c.Error
	}
	return scoredMessage(c.OTCEMean, c.Warnings)
}

// checkShownAt checks that the page put a message about one file of the
// case ("FILE: …" or "FILE:MEMBER: …", after the domain's "source: " or
// "target: ") next to that file, which the candidate's error_file names
// (from the core's arrays.FileError), and that a message about no one file
// names none.
func (h *harness) checkShownAt(tc badCase, fs map[string][]string, msg, file string) {
	h.t.Helper()
	rest := strings.TrimPrefix(strings.TrimPrefix(msg, "source: "), "target: ")
	want := ""
	for _, s := range sides {
		for _, f := range fs[s] {
			if b := filepath.Base(f); strings.HasPrefix(rest, b+":") {
				want = b
			}
		}
	}
	if file != want {
		h.t.Errorf("%s: error_file %q, want %q (the message: %s)", tc.name, file, want, msg)
		return
	}
	if want == "" {
		return
	}
	shown := eval[string](h, fmt.Sprintf(`(() => { const e = document.querySelector('li.bad[data-file=%q] .ferror'); return e ? e.textContent : "" })()`, want))
	if !strings.HasPrefix(shown, msg) {
		lis := eval[string](h, fmt.Sprintf(`Array.from(document.querySelectorAll('li[data-file=%q]')).map(e => e.outerHTML).join(" ")`, want))
		h.t.Errorf("%s: next to %s the page shows %q, want the message %q (its entries: %s)", tc.name, want, shown, msg, lis)
	}
}

// badInputs runs every bad case through the CLI and the page and writes or
// checks docs/BAD_INPUTS.md.
func (h *harness) badInputs(root, work string, good fixture) {
	var doc strings.Builder
	doc.WriteString(`# Bad inputs and what they get

Generated by the browser end-to-end test (` + "`e2e/badinputs_test.go`" + `; rewrite with
` + "`OTCE_WRITE_DOCS=1 go test -run TestBrowser/BadInputs ./e2e/`" + `): each case is a small
candidate (two images per domain, 8×20×20 float32 features, 20×20 labels, as
` + "`makeFixture`" + ` writes them) with one thing wrong, run through the CLI (` + "`otce score`" + `, or
` + "`otce rank`" + ` for manifests; ` + "`-n 300 -k 1`" + `) and through the page (same files, same settings).
The CLI's message is its one line on stderr (exit status 2) without the ` + "`otce: `" + ` prefix and
folders; the page's is the candidate's ` + "`error`" + ` in its JSON, shown next to the file it names,
or the settings error. The test requires both to be the same.

| bad input | message (CLI = browser) |
|---|---|
`)
	for i, tc := range badCases() {
		dir := filepath.Join(work, fmt.Sprintf("case%02d", i))
		for _, s := range sides {
			must(h, os.MkdirAll(filepath.Join(dir, s), 0o755))
		}
		for s, fl := range map[string][]string{"sf": good.sf, "sl": good.sl, "tf": good.tf, "tl": good.tl} {
			for _, f := range fl {
				must(h, copyFile(f, filepath.Join(dir, s, filepath.Base(f))))
			}
		}
		if tc.files != nil {
			tc.files(h, dir)
		}
		cli := h.cliAnswer(tc, dir)
		page := "—"
		if tc.manifest == "" {
			page = h.pageAnswer(tc, dir)
			if page != cli {
				h.t.Errorf("%s:\n  CLI:  %s\n  page: %s", tc.name, cli, page)
			}
		}
		if cli == "" || strings.Contains(cli, "panic") || strings.Contains(page, "panic") {
			h.t.Errorf("%s: no message or a panic: CLI %q, page %q", tc.name, cli, page)
		}
		h.t.Logf("%-55s %s", tc.name, cli)
		cell := "`" + strings.ReplaceAll(strings.ReplaceAll(cli, "|", `\|`), "`", "'") + "`"
		if tc.manifest != "" {
			cell += " (CLI only: the page has no manifest)"
		}
		fmt.Fprintf(&doc, "| %s | %s |\n", tc.name, cell)
	}
	doc.WriteString(badInputsBounds)
	docPath := filepath.Join(root, "docs", "BAD_INPUTS.md")
	if os.Getenv("OTCE_WRITE_DOCS") != "" {
		must(h, os.MkdirAll(filepath.Dir(docPath), 0o755))
		writeFile(h, docPath, []byte(doc.String()))
		h.t.Logf("wrote %s", docPath)
		return
	}
	old, err := os.ReadFile(docPath)
	if err != nil || string(old) != doc.String() {
		h.t.Errorf("%s is not up to date (rewrite it with OTCE_WRITE_DOCS=1 go test -run TestBrowser/BadInputs ./e2e/)", docPath)
	}
}

// badInputsBounds is the part of docs/BAD_INPUTS.md that no single small
// case shows: the inputs tested by the CLI's own tests (cmd/otce
// hostile_test.go, core/arrays, core/dataset, core/sample), and the bounds
// that hold for memory and time.
const badInputsBounds = `
## Beyond the table: what the CLI's tests check, and the bounds that hold

Tested in ` + "`cmd/otce/hostile_test.go`" + ` (each test failed before its fix) and the core packages' tests:

| input | answer | bound |
|---|---|---|
| labels that are instance ids or a depth map (more than 1024 distinct values in a domain) | ` + "`FILE: more than 1024 distinct label values in this domain (label 25024 is one): an instance-id map (such as *_instanceIds.png) or a depth map given as labels?`" + ` | classes are counted while the labels are read (a 512 KB table per domain, whatever the values); the joint table is at most 1024² entries per row block |
| features whose squared distances overflow float32 (norm above 9.2·10¹⁸, e.g. values of 1e20), any --cost-norm | ` + "`FILE: features of norm 1e+20: their squared distances overflow float32 (at most 9.22e+18); …`" + ` | checked on the sampled pixels (with --transform none; l2 and softmax rescale them) |
| a folder of symbolic links (Hugging Face caches, DVC, hand-made splits) | scored: links are followed | — |
| a dangling link, a loop of links, a named pipe in a folder | ` + "`DIR/a_feat.npy: a symbolic link that leads to no file: too many levels of symbolic links`" + `, ` + "`… not a regular file but a named pipe`" + ` | no file is dropped in silence |
| a run that cannot fit in the memory left (available memory, cgroup limit, address-space limit) | ` + "`N = 10000 pixels of 20000 channels needs about 5.6 GB, more than the 1.7 GB available: the largest N that fits is 3107 (-n 3107)`" + ` | checked before sampling; the sample costs 4·N·C bytes a domain plus read buffers of at most 2²⁰ values (24 MB), whatever the file's shape |
| a large grid (e.g. 576 M pixels of one channel) | scored | the labels on the feature grid cost one byte a pixel while an image has at most 255 distinct labels (two beyond), plus 4 bytes per 64 pixels for the valid-pixel index |
| a folder of 10⁴ tiny image pairs | scored | label-reading buffers no larger than each image's grid (they were 1.5 MB an image) |
| --drop-nonfinite on features that are all NaN | ` + "`FILE (and 1 more feature files): no pixel with finite features: …`" + ` | redraws double their batch (up to 4·2²⁰ values), and a valid-pixel index (4 bytes per 64 pixels) finds a pixel without scanning its image: time linear in the pixels read |
| a manifest that is an endless stream (a FIFO, a device) or a wrong huge file | ` + "`M: larger than 16 MiB: not a manifest …`" + ` | at most 16 MiB + 1 byte read |
| a .safetensors header of up to 100 MB | parsed once per file (features and labels from one bundle share the parse), in one streaming pass | about 10 bytes of allocation per header byte |
| an .npz member whose CRC-32 is wrong | ` + "`src.npz:labels: damaged: …`" + ` | checked for stored members of at most 16 MiB (read whole at opening) and for deflated members at the end of each pass over their data (at most 1 MiB inflated past it). A larger stored member is read only where sampled: a damaged byte that is never read cannot be detected |
| a malformed number in a flag | ` + "`invalid value \"ten\" for flag -n: not a whole number (otce help lists the flags)`" + ` — one line; the usage only with -h | integer flags also take whole numbers written as floats (` + "`-n 1e4`" + `) |
| a candidate named ` + "`..`" + ` with --dump-sample, control characters in a name | dumped under ` + "`DIR/__/`" + `; control characters shown escaped (` + "`a\\nb`" + `) on stderr and in the table | — |
`
