package e2e

import (
	"encoding/json"
	"math"
	"os/exec"
	"time"

	"github.com/chromedp/chromedp"
)

// demoVolumes loads the volumetric demo (NIfTI label volumes, 3-D feature
// maps) through the page's selector, runs it with the default settings,
// and checks that every candidate's score is the CLI's `otce demo --volumes`.
func (h *harness) demoVolumes() {
	h.load()
	h.do(chromedp.SetValue(chromedp.ID("demo-kind"), "volumes"))
	t0 := time.Now()
	h.runDemo()
	h.waitState(5*time.Minute, "done")
	h.t.Logf("volumetric demo done in %s", time.Since(t0).Round(time.Millisecond))
	sc := h.scores()

	out, err := exec.Command(h.cli, "demo", "--volumes", "--format", "json", "--quiet").Output()
	if err != nil {
		h.t.Fatalf("otce demo --volumes: %v", err)
	}
	var cli struct {
		Candidates []struct {
			Name     string  `json:"name"`
			OTCEMean float64 `json:"otce_mean"`
		} `json:"candidates"`
	}
	if err := json.Unmarshal(out, &cli); err != nil {
		h.t.Fatalf("CLI JSON: %v", err)
	}
	if len(cli.Candidates) != 5 || len(sc) != len(cli.Candidates) {
		h.t.Fatalf("page scored %v, CLI %d candidates", sc, len(cli.Candidates))
	}
	for _, c := range cli.Candidates {
		got, ok := sc[c.Name]
		if !ok || math.Abs(got-c.OTCEMean) > 1e-9 {
			h.t.Errorf("%s: page %v, CLI %v", c.Name, got, c.OTCEMean)
		}
	}
	h.screenshot("demo-volumes.png")
}
