package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// capacitySetting is one run of TestCapacity.
type capacitySetting struct {
	N, D, Workers int
	K             int // repetitions; 0: 1
	Norm, Solver  string
	CLI           bool // also score it with the CLI and compare
	NoGather      bool // the other workers keep their cost rows (schedule.Gather off)
}

func (c capacitySetting) String() string {
	s := fmt.Sprintf("n%d-d%d-%s-%s-w%d-k%d", c.N, c.D, c.Norm, c.Solver, c.Workers, max(c.K, 1))
	if c.NoGather {
		s += "-nogather"
	}
	return s
}

// capacityTimeout is each run's own deadline: N = 2·10⁴ takes about 6
// minutes, the CLI and the page, on the shared 2-core machine at a load
// of 20, and less on a quiet one; only a hang should fail it (make test's
// -timeout, 60 minutes for the e2e module, bounds the rest).
const capacityTimeout = 30 * time.Minute

// TestCapacity scores a synthetic candidate of N = 2·10⁴ pixels a domain
// (d = 19, K = 1, raw cost, the default Sinkhorn: the exact plan, then
// warm-started iterations) in the page on 2 workers, which the page's
// memory check accepts (schedule.CheckMemory), and asks for a score
// without a worker lost (the page shows the candidate's score, no error),
// the CLI's to the bit. It reports each worker's wasm memory (its peak: a
// wasm memory never shrinks) and the CLI's max RSS. Slow (minutes): skipped
// under -short.
//
// OTCE_CAPACITY replaces the run by a list of settings separated by ";",
// each "n=…,d=…,k=…,norm=…,solver=…,workers=…,cli=0|1,gather=0|1" (gather=0:
// the other workers keep their cost rows, as before schedule.Gather; the
// memory rows of
// BENCHMARKS.md: go test ./e2e/ -run TestCapacity -v -timeout 0 with
// OTCE_CAPACITY="n=10000,d=19,norm=none;n=10000,d=256,norm=max,solver=emd").
func TestCapacity(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: the capacity run takes minutes")
	}
	runs := []capacitySetting{{N: 20000, D: 19, Workers: 2, Norm: "none", Solver: "sinkhorn", CLI: true}}
	if v := os.Getenv("OTCE_CAPACITY"); v != "" {
		var err error
		if runs, err = parseCapacity(v); err != nil {
			t.Fatal(err)
		}
	}
	root, chrome, tmp, www := buildSite(t)
	cli := filepath.Join(tmp, "otce")
	run(t, root, nil, "go", "build", "-o", cli, "./cmd/otce")
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		http.FileServer(http.Dir(www)).ServeHTTP(w, r)
	}))
	defer site.Close()
	bctx, stop := unthrottledBrowser(t, chrome, filepath.Join(tmp, "profile"))
	defer stop()
	msgs, msgMu := collectConsole(bctx)
	data := map[int]fixture{}
	for _, c := range runs {
		t.Run(c.String(), func(t *testing.T) {
			fx, ok := data[c.D]
			if !ok {
				var err error
				if fx, err = capacityData(filepath.Join(tmp, fmt.Sprintf("d%d", c.D)), c.D, max(c.N, 20000)+2000); err != nil {
					t.Fatal(err)
				}
				data[c.D] = fx
			}
			ctx, cancel := context.WithTimeout(bctx, capacityTimeout)
			defer cancel()
			h := &harness{t: t, ctx: ctx, base: bctx, url: site.URL + "/", cli: cli, msgs: msgs, msgMu: msgMu}
			h.capacityRun(c, fx)
		})
	}
}

// capacityRun scores fx with setting c in a fresh page, and with the CLI
// when c.CLI, and compares them.
func (h *harness) capacityRun(c capacitySetting, fx fixture) {
	k := fmt.Sprint(max(c.K, 1))
	args := []string{"-n", fmt.Sprint(c.N), "-k", k, "--cost-norm", c.Norm, "--solver", c.Solver}
	var want map[string]any
	if c.CLI {
		t0 := time.Now()
		var rss float64
		want, rss = h.cliRSS(fx, args...)
		h.t.Logf("%s: CLI %.1f s, max RSS %.0f MB, OTCE %v", c, time.Since(t0).Seconds(), rss/1e6, want["otce_mean"])
	}
	h.load()
	h.setSetting("set-n", fmt.Sprint(c.N))
	h.setSetting("set-k", k)
	h.setSetting("set-cost-norm", c.Norm)
	h.setSetting("set-solver", c.Solver)
	h.setSetting("set-workers", fmt.Sprint(c.Workers))
	h.setCandidate(1, "capacity", fx)
	h.setFiles("target-labels-files", fx.tl)
	if c.NoGather {
		eval[bool](h, `(globalThis.otceGatherMin = 2**62, true)`)
	}
	t0 := time.Now()
	h.click("run")
	for {
		st := h.state()
		if st == "done" {
			break
		}
		if st == "broken" || st == "refused" || st == "cancelled" {
			h.msgMu.Lock()
			for _, m := range *h.msgs {
				h.t.Logf("console %s", m)
			}
			h.msgMu.Unlock()
			h.t.Fatalf("%s: page state %q: %s", c, st, eval[string](h, `(document.getElementById("status")||{}).textContent||""`))
		}
		time.Sleep(time.Second)
	}
	sec := time.Since(t0).Seconds()
	cs, _ := h.ranking()["candidates"].([]any)
	if len(cs) != 1 {
		h.t.Fatalf("%s: %d candidates in the page's JSON", c, len(cs))
	}
	got, _ := cs[0].(map[string]any)
	if e, _ := got["error"].(string); e != "" {
		h.t.Fatalf("%s: the page's candidate failed: %s", c, e)
	}
	if v, ok := got["otce_mean"].(float64); !ok || math.IsNaN(v) {
		h.t.Fatalf("%s: no score in the page: %v", c, got["otce_mean"])
	}
	if want != nil {
		for _, key := range []string{"otce_mean", "ce", "wd", "iterations", "stop_rule"} {
			if !reflect.DeepEqual(got[key], want[key]) {
				h.t.Errorf("%s: %s is %v in the page, %v in the CLI", c, key, got[key], want[key])
			}
		}
	}
	mem := h.workerMemory()
	if len(mem) != c.Workers {
		h.t.Errorf("%s: %d workers answered, %d were started", c, len(mem), c.Workers)
	}
	total := int64(0)
	for _, m := range mem {
		total += m
	}
	phases := eval[string](h, `JSON.stringify((globalThis.otceTimings||{}).phases||{})`)
	h.t.Logf("%s: page %.1f s, OTCE %v, workers' wasm memory %s MB (sum %.0f MB); phases %s", c, sec, got["otce_mean"], mbList(mem), float64(total)/1e6, phases)
}

func mbList(xs []int64) string {
	var s []string
	for _, x := range xs {
		s = append(s, fmt.Sprintf("%.0f", float64(x)/1e6))
	}
	return strings.Join(s, ", ")
}

// cliRSS runs the CLI's score command on the fixture with the extra
// arguments and returns its JSON report and its max RSS in bytes (from the
// child's rusage).
func (h *harness) cliRSS(fx fixture, extra ...string) (map[string]any, float64) {
	h.t.Helper()
	args := append([]string{"score", "--format", "json", "--quiet"}, extra...)
	for _, f := range fx.sf {
		args = append(args, "--source-features", f)
	}
	for _, f := range fx.sl {
		args = append(args, "--source-labels", f)
	}
	for _, f := range fx.tf {
		args = append(args, "--target-features", f)
	}
	for _, f := range fx.tl {
		args = append(args, "--target-labels", f)
	}
	cmd := exec.Command(h.cli, args...)
	out, err := cmd.Output()
	if err != nil {
		h.t.Fatalf("otce %s: %v", strings.Join(args, " "), err)
	}
	var res map[string]any
	if err := json.Unmarshal(out, &res); err != nil {
		h.t.Fatalf("CLI output is not JSON (%v): %s", err, out)
	}
	rss := 0.0
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = float64(ru.Maxrss) * 1024
	}
	return res, rss
}

// parseCapacity parses OTCE_CAPACITY (see TestCapacity).
func parseCapacity(v string) ([]capacitySetting, error) {
	var out []capacitySetting
	for _, item := range strings.Split(v, ";") {
		c := capacitySetting{N: 20000, D: 19, Workers: 2, Norm: "none", Solver: "sinkhorn"}
		for _, kv := range strings.Split(item, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok {
				return nil, fmt.Errorf("OTCE_CAPACITY: %q is not key=value", kv)
			}
			n, _ := strconv.Atoi(val)
			switch k {
			case "n":
				c.N = n
			case "d":
				c.D = n
			case "workers":
				c.Workers = n
			case "k":
				c.K = n
			case "norm":
				c.Norm = val
			case "solver":
				c.Solver = val
			case "cli":
				c.CLI = val == "1"
			case "gather":
				c.NoGather = val == "0"
			default:
				return nil, fmt.Errorf("OTCE_CAPACITY: unknown key %q", k)
			}
		}
		if c.N <= 0 || c.D <= 0 || c.Workers <= 0 {
			return nil, fmt.Errorf("OTCE_CAPACITY: %q", item)
		}
		out = append(out, c)
	}
	return out, nil
}

// capacityData writes a synthetic candidate with at least pixels valid
// pixels a domain, d channels: per domain, images of (d, 128, 128) float32
// features and (128, 128) uint8 labels of 8 classes in rectangles, a row
// of each image ignored (255); a pixel's features are its class's centre
// plus Gaussian noise (d = 19: a logit-like bump on the class's channel),
// and the target domain moves the centres.
func capacityData(dir string, d, pixels int) (fixture, error) {
	const side, classes = 128, 8
	var fx fixture
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fx, err
	}
	rng := rand.New(rand.NewPCG(uint64(d), 21))
	centres := make([][]float64, classes)
	for c := range centres {
		centres[c] = make([]float64, d)
		for k := range centres[c] {
			centres[c][k] = rng.NormFloat64()
			if d == 19 {
				centres[c][k] = -2 + rng.NormFloat64()
				if k == c {
					centres[c][k] = 8 + rng.NormFloat64()
				}
			}
		}
	}
	images := (pixels + side*(side-1) - 1) / (side * (side - 1))
	for _, dom := range []string{"src", "tgt"} {
		for img := 0; img < images; img++ {
			labels := make([]uint8, side*side)
			feats := make([]float32, d*side*side)
			for y := 0; y < side; y++ {
				for x := 0; x < side; x++ {
					cls := (x/24 + 3*(y/20) + img) % classes
					if dom == "tgt" {
						cls = (x/20 + 2*(y/28) + img) % classes
					}
					labels[y*side+x] = uint8(cls)
					if y == 0 {
						labels[y*side+x] = 255
					}
					for k := 0; k < d; k++ {
						c := centres[cls][k]
						if dom == "tgt" {
							c = 0.8*c + 0.3
						}
						feats[k*side*side+y*side+x] = float32(c + 1.2*rng.NormFloat64())
					}
				}
			}
			if err := fx.addImage(dir, dom, img, d, side, side, feats, labels); err != nil {
				return fx, err
			}
		}
	}
	return fx, nil
}
