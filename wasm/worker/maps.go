//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"syscall/js"
	"time"

	"github.com/otceseg/otceseg/core/dataset"
	"github.com/otceseg/otceseg/core/maps"
	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/report"
	"github.com/otceseg/otceseg/core/schedule"
	"github.com/otceseg/otceseg/wasm/internal/proto"
)

// mapped is what the sampler keeps of a Maps request for the Map and Pixel
// requests that follow it: the open job (its target images are read again
// a map at a time, and both domains for the patch maps), its settings and
// the repetitions' maps.Rep (K·N·D float32 of source samples, shared
// between repetitions that draw every pixel). A Score, Job or Maps request
// drops it.
type mapped struct {
	job       *otce.Job
	reps      []*maps.Rep
	transform string
	settings  report.Settings
}

// thumbs is the number of worst images whose thumbnails Maps answers, at
// most thumbSize feature pixels a side.
const thumbs, thumbSize = 12, 48

// transferMaps scores a candidate as score does, through maps.RepetitionsWith
// (otce's one loop, asking the solver for the potentials; the blocks alone
// or over the pool as for Score), then computes the dense map of every
// target image one at a time, keeping only its line of the per-image table
// (maps.ImageMap's memory is one image's), and answers the report, the
// per-image and per-class tables and the map of image req.Image (−1: the
// worst).
func (w *worker) transferMaps(req *proto.Maps, resp *proto.MapsResponse, reply js.Value) error {
	if req.Files == nil || req.Workers < 1 {
		return errors.New("maps asked without files or workers")
	}
	w.job, w.sample, w.mapped = nil, nil, nil
	bench := map[string]float64{}
	opt, done := w.loopOptions(&req.Score, reply, bench)
	// The score's memory check, with what the maps keep beside the solve.
	opt.Check = func(j *otce.Job) error {
		n, m := schedule.Size(req.Settings.N, j.Source.Valid, j.Target.Valid)
		pixels := 0
		for _, im := range j.Target.Images {
			pixels = max(pixels, max(im.D, 1)*im.H*im.W)
		}
		return schedule.CheckMapMemory(n, m, j.Source.Dim, req.Settings.K, pixels, req.Workers)
	}
	opt.Progress(otce.Progress{Candidate: req.Files.Name, K: req.Settings.K, Phase: otce.PhaseReading})
	c := candidate(req.Files)
	j, err := otce.Prepare(c, req.Settings)
	if err != nil {
		done()
		sm := otce.NewSummary(c, j, req.Settings)
		sm.SetError(err)
		r := sm.Result()
		resp.Result = &r
		return nil
	}
	ctx := context.Background()
	reps, r := maps.RepetitionsWith(ctx, j, opt)
	done()
	w.release()
	w.sample = nil
	resp.Result, resp.Bench = &r, bench
	if r.Error != "" {
		return nil
	}
	m := &mapped{job: j, reps: reps, transform: req.Settings.Transform.String(), settings: req.Settings}
	info := &proto.MapsInfo{Classes: maps.Classes(reps), Image: req.Image}
	lb := 0
	for _, rp := range reps {
		lb = max(lb, rp.Lb)
	}
	info.MaxH = math.Log(float64(max(lb, 2)))
	stems := maps.Stems(j.Target)
	if req.Image >= len(stems) {
		return fmt.Errorf("maps: image %d of %d", req.Image, len(stems))
	}
	// The thumbnails of the worst images so far, worst first: a few
	// kilobytes each, at most thumbs of them whatever the image count.
	type thumb struct {
		score maps.ImageScore
		t     *maps.Map
	}
	var worst []thumb
	var last time.Time
	for k, im := range j.Target.Images {
		if time.Since(last) > 200*time.Millisecond {
			last = time.Now()
			postTo(reply, &proto.Progress{Progress: &ot.Progress{}, Phase: proto.PhaseMaps, Image: k, Images: len(j.Target.Images)})
		}
		mp, err := maps.ImageMap(ctx, im, reps, maps.Options{Transform: m.transform, Workers: 1})
		if err != nil {
			return err
		}
		sc := mp.Score(stems[k], k)
		info.Images = append(info.Images, sc)
		if k == req.Image {
			info.Map = mp
		}
		worst = append(worst, thumb{sc, mp.Thumbnail(thumbSize)})
		slices.SortStableFunc(worst, func(a, b thumb) int { return maps.CompareWorst(a.score, b.score) })
		worst = worst[:min(len(worst), thumbs)]
		tightenGC()
	}
	for _, t := range worst {
		info.Thumbs = append(info.Thumbs, proto.Thumb{Image: t.score.Index, Map: t.t})
	}
	maps.WorstFirst(info.Images)
	if info.Map == nil && len(info.Images) > 0 {
		info.Image = info.Images[0].Index
		if info.Map, err = maps.ImageMap(ctx, j.Target.Images[info.Image], reps, maps.Options{Transform: m.transform, Workers: 1}); err != nil {
			return err
		}
	}
	w.mapped = m
	resp.Maps = info
	return nil
}

// mapOf answers the dense map of one target image from the last Maps.
func (w *worker) mapOf(req *proto.Map, resp *proto.MapResponse, _ js.Value) error {
	im, err := w.mappedImage(req.Image)
	if err != nil {
		return err
	}
	mp, err := maps.ImageMap(context.Background(), im, w.mapped.reps, maps.Options{Transform: w.mapped.transform, Workers: 1})
	if err != nil {
		return err
	}
	resp.Image, resp.Map = req.Image, mp
	return nil
}

// pixel answers what the last Maps' repetitions say about one pixel of a
// target image (maps.PixelAt).
func (w *worker) pixel(req *proto.Pixel, resp *proto.PixelResponse, _ js.Value) error {
	im, err := w.mappedImage(req.Image)
	if err != nil {
		return err
	}
	px, err := maps.PixelAt(im, req.Pixel, w.mapped.reps, w.mapped.transform)
	if err != nil {
		return err
	}
	resp.Pixel = &px
	return nil
}

// patches answers the patch-wise maps of stride req.Stride of the last
// Maps' candidate: maps.PatchesWith with the options of its settings
// (maps.PatchOptionsOf), as `otce map --patch` computes them.
// It posts Progress (PhasePatches) a few times a second.
func (w *worker) patches(req *proto.Patch, resp *proto.PatchResponse, reply js.Value) error {
	if w.mapped == nil {
		return errors.New("patch maps asked before the maps were computed (or after another run)")
	}
	po, _, err := maps.PatchOptionsOf(w.mapped.settings, req.Stride)
	if err != nil {
		return err
	}
	po.Workers = 1
	var last time.Time
	po.Progress = func(done, total int) {
		if time.Since(last) > 200*time.Millisecond {
			last = time.Now()
			postTo(reply, &proto.Progress{Progress: &ot.Progress{}, Phase: proto.PhasePatches, Image: done, Images: total})
		}
	}
	j := w.mapped.job
	pm, err := maps.PatchesWith(context.Background(), j.Source, j.Target, po)
	if err != nil {
		return err
	}
	resp.Patch = pm
	return nil
}

func (w *worker) mappedImage(k int) (*dataset.Image, error) {
	if w.mapped == nil {
		return nil, errors.New("a map asked before the maps were computed (or after another run)")
	}
	imgs := w.mapped.job.Target.Images
	if k < 0 || k >= len(imgs) {
		return nil, fmt.Errorf("target image %d of %d", k, len(imgs))
	}
	return imgs[k], nil
}
