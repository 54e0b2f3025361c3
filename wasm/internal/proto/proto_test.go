//go:build js && wasm

package proto

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"syscall/js"
	"testing"

	"github.com/otceseg/otceseg/core/arrays"
	"github.com/otceseg/otceseg/core/maps"
	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/report"
	"github.com/otceseg/otceseg/core/settings"
)

// TestRequestRoundTrip sends one request of each kind through the codec and
// checks that the same type and content come back, with the number.
func TestRequestRoundTrip(t *testing.T) {
	s := settings.Default()
	s.Solver, s.N = settings.SolverEMD, 300
	acc := 0.5
	blob := js.Global().Get("Object").New()
	blob.Set("name", "a.npy")
	reqs := []Request{
		&Job{Settings: s, Files: &Files{Name: "m", SourceFeatures: []js.Value{blob}, Accuracy: &acc}},
		&Rep{Rep: 3},
		&Blocks{Problem: &ot.Problem{N: 2, M: 1, D: 1, Xs: []float32{1, 2}, Ys: []int32{0, 0}, Xt: []float32{3}, Yt: []int32{0}, La: 1, Lb: 1}, Blocks: []int{0}},
		&Blocks{OwnSample: true, Blocks: []int{1, 2}},
		&Op{Op: &ot.Op{Kind: ot.OpIterate, V: []float64{1, 2}}},
		&Release{},
		&Inspect{Files: []js.Value{blob}},
		&Warm{},
		&Give{Block: 4},
		&Give{Block: 5, Cost: true},
		&Give{Block: 6, Kernel: true},
		&Give{Block: 7, Kernel: true, Drop: true},
		&Score{Settings: s, Files: &Files{Name: "m"}, Team: []int{1, 3}, Workers: 4, LocalMax: 1 << 22, ExactOnPool: new(bool), SplitMinRows: 9, GatherMin: 7, IterateHereMax: -1, ReadAheadMax: -1, SwapCost: true},
		&Maps{Score: Score{Settings: s, Workers: 2, LocalMax: 5}, Image: -1},
		&Map{Image: 4},
		&Pixel{Image: 1, Pixel: 33},
		&Patch{Stride: 4},
	}
	seen := map[Kind]bool{}
	for i, r := range reqs {
		seen[r.Kind()] = true
		v, _ := EncodeRequest(i+1, r)
		id, back, err := DecodeRequest(v)
		if err != nil {
			t.Fatalf("%s: %v", r.Kind(), err)
		}
		if id != i+1 || back.Kind() != r.Kind() {
			t.Errorf("%s: back as %s number %d", r.Kind(), back.Kind(), id)
		}
		switch r := r.(type) {
		case *Job:
			b := back.(*Job)
			if b.Settings != r.Settings || b.Files.Name != "m" || *b.Files.Accuracy != acc || !b.Files.SourceFeatures[0].Equal(blob) {
				t.Errorf("job: %+v", b)
			}
		case *Inspect:
			if b := back.(*Inspect); len(b.Files) != 1 || !b.Files[0].Equal(blob) {
				t.Errorf("inspect: %+v", b)
			}
		default:
			if !reflect.DeepEqual(back, r) {
				t.Errorf("%s: %+v, want %+v", r.Kind(), back, r)
			}
		}
	}
	// A port travels as itself, in the transfer list.
	ch := js.Global().Get("MessageChannel").New()
	v, transfer := EncodeRequest(1, &Port{Peer: 2, Port: ch.Get("port1")})
	if len(transfer) != 1 || !transfer[0].(js.Value).Equal(ch.Get("port1")) {
		t.Errorf("a port request transfers %v", transfer)
	}
	if _, back, err := DecodeRequest(v); err != nil || back.(*Port).Peer != 2 || !back.(*Port).Port.Equal(ch.Get("port1")) {
		t.Errorf("port: %+v, %v", back, err)
	}
	ch.Get("port1").Call("close")
	seen[KindPort] = true
	// A block's cost rows travel as a Uint8Array, transferred.
	u8 := js.Global().Get("Uint8Array").New(8)
	v, transfer = EncodeRequest(2, &Host{Block: 3, Op: &ot.Op{Kind: ot.OpKernel, Eps: 0.5, G: []float64{1, 2}}, Rows: []js.Value{u8}})
	if len(transfer) == 0 || !transfer[len(transfer)-1].(js.Value).Equal(u8.Get("buffer")) {
		t.Errorf("a host request transfers %v", transfer)
	}
	if _, back, err := DecodeRequest(v); err != nil || back.(*Host).Block != 3 || back.(*Host).Op.Eps != 0.5 || back.(*Host).Op.G[1] != 2 || len(back.(*Host).Rows) != 1 {
		t.Errorf("host: %+v, %v", back, err)
	}
	ks := &ot.KernelState{Lo: 2, Hi: 4, Eps: 0.25, F: []float64{1, 2}, U: []float64{3, 4}}
	v, _ = EncodeRequest(3, &Host{Block: 1, Kernel: ks, Rows: []js.Value{u8, u8, u8}})
	if _, back, err := DecodeRequest(v); err != nil || !reflect.DeepEqual(back.(*Host).Kernel, ks) || back.(*Host).Op != nil || len(back.(*Host).Rows) != 3 {
		t.Errorf("a kernel handed over: %+v, %v", back, err)
	}
	seen[KindHost] = true
	if len(seen) != len(requests) {
		t.Errorf("the test sends %d kinds of %d", len(seen), len(requests))
	}
	if _, _, err := DecodeRequest(js.ValueOf(map[string]any{"$id": 1, "$kind": "nope"})); err == nil {
		t.Error("an unknown kind was decoded")
	}
	if _, _, err := DecodeRequest(js.ValueOf("x")); err == nil {
		t.Error("a string was decoded as a request")
	}
}

// TestFileErrorRoundTrip: an error about one file crosses the wire (a
// response's Header from the worker) with its text unchanged and its file
// found by errors.As on the other side; an error about no file comes back
// as plain text, and no error as nil.
func TestFileErrorRoundTrip(t *testing.T) {
	orig := fmt.Errorf("source: %w", arrays.Errorf("dir/a_feat.npy", "no label file with the same stem"))
	for _, c := range []struct {
		err          error
		file, member string
	}{
		{orig, "dir/a_feat.npy", ""},
		{&arrays.FileError{File: "s.npz", Member: "labels", Err: errors.New("reading data: damaged member")}, "s.npz", "labels"},
		{errors.New("cancelled"), "", ""},
	} {
		r := &ScoreResponse{Header: Header{Err: c.err.Error(), ErrFile: FileErrorOf(c.err)}}
		obj, _ := EncodeResponse(1, KindScore, r)
		back := new(ScoreResponse)
		if err := DecodeResponse(obj, KindScore, back); err != nil {
			t.Fatal(err)
		}
		err := back.Error()
		if err == nil || err.Error() != c.err.Error() {
			t.Errorf("%v: back as %v", c.err, err)
			continue
		}
		var fe *arrays.FileError
		found := errors.As(err, &fe)
		if found != (c.file != "") || found && (fe.File != c.file || fe.Member != c.member || !strings.HasSuffix(err.Error(), fe.Error())) {
			t.Errorf("%v: file error %+v (found %v), want %q %q", c.err, fe, found, c.file, c.member)
		}
	}
	if (&Header{}).Error() != nil {
		t.Error("no error came back as an error")
	}
}

// TestResponseRoundTrip sends one response of each kind's type through the
// codec, as the worker answers request number id, and checks that the same
// content comes back in the type the request asks for, with the number; a
// response of another kind is refused, and a worker's answer to a message
// it could not read (its Header alone) comes back as the error of any type.
func TestResponseRoundTrip(t *testing.T) {
	acc := 0.5
	s := settings.Default()
	u8 := js.Global().Get("Uint8Array").New(8)
	u8.SetIndex(3, 7)
	fe := &FileError{File: "s.npz", Member: "labels", Problem: "truncated"}
	cand := &report.Candidate{Name: "m", Accuracy: &acc, Settings: s, CE: []float64{0.25, 0.5}, OTCEMean: -0.375, Warnings: []string{"w"}}
	mp := &maps.Map{D: 1, H: 1, W: 2, Values: []float32{0.5, 1}, Labels: []int32{3, -1}, Valid: 1, Defined: 1, Sum: 0.5}
	cases := []struct {
		req  Request
		resp Response
	}{
		{&Job{}, &JobResponse{Job: &JobInfo{Dim: 19, SourceValid: 1 << 40, TargetImages: 2, Warnings: []string{"x"}}}},
		{&Job{}, &JobResponse{Header: Header{Err: "source: s.npz:labels: truncated", ErrFile: fe}}},
		{&Rep{}, &RepResponse{Sample: &otce.Sample{Rep: 2, Problem: &ot.Problem{N: 1, M: 1, D: 1, Ys: []int32{0}, Yt: []int32{0}, La: 1, Lb: 1}, SourceClasses: []int{3}, AllPixels: true}}},
		{&Rep{}, &RepResponse{Sample: &otce.Sample{Rep: 0, Warnings: []string{"w"}}, Solution: &ot.Solution{CE: 0.25, Iterations: 7, Joint: []float64{0.5, 0.5}}}},
		{&Blocks{}, &Done{Header: Header{Busy: 0.125}}},
		{&Op{}, &OpResponse{Replies: []*ot.Reply{{ColSum: []float64{1, 2}, RowErr: 0.5, Span: 2}, nil}}},
		{&Release{}, &Done{}},
		{&Inspect{}, &InspectResponse{Files: []FileInfo{{Name: "a.npy", Info: "2×3 (<f4)"}, {Name: "b.npy", Error: "b.npy: not a .npy file"}}}},
		{&Warm{}, &Done{}},
		{&Port{}, &Done{}},
		{&Score{}, &ScoreResponse{Result: cand, Bench: map[string]float64{"give": 1.5, "busy:iterate": 2}}},
		{&Maps{}, &MapsResponse{ScoreResponse: ScoreResponse{Result: cand}, Maps: &MapsInfo{MaxH: 1.5, Images: []maps.ImageScore{{Stem: "tgt_0", Index: 1}}, Image: 1, Map: mp, Thumbs: []Thumb{{Image: 1, Map: mp}}}}},
		{&Map{}, &MapResponse{Image: 3, Map: mp}},
		{&Pixel{}, &PixelResponse{Pixel: &maps.Pixel{Label: 3, H: 0.25, Mixture: map[int]float64{1: 0.75, 2: 0.25}}}},
		{&Host{}, &HostResponse{Replies: []*ot.Reply{{ColSum: []float64{0.5}, Span: 1}}}},
		{&Patch{}, &PatchResponse{Patch: &maps.PatchMap{Stride: 2, Rows: 1, Cols: 2, OTCE: []float64{0.5, -1}, Source: []int{3, 4}, Target: []int{1, 2}}}},
	}
	seen := map[Kind]bool{}
	for i, c := range cases {
		k := c.req.Kind()
		seen[k] = true
		v, _ := EncodeResponse(i+1, k, c.resp)
		if id, ok := ResponseID(v); !ok || id != i+1 {
			t.Errorf("%s: number %d (%v), want %d", k, id, ok, i+1)
		}
		back := answer(c.req)
		if reflect.TypeOf(back) != reflect.TypeOf(c.resp) {
			t.Fatalf("%s asks for a %T, the worker answers a %T", k, back, c.resp)
		}
		if err := DecodeResponse(v, k, back); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if !reflect.DeepEqual(back, c.resp) {
			t.Errorf("%s: %+v, want %+v", k, back, c.resp)
		}
		other := KindRelease
		if k == other {
			other = KindWarm
		}
		if err := DecodeResponse(v, other, answer(c.req)); err == nil {
			t.Errorf("the answer to a %s request was read as the answer to a %s one", k, other)
		}
	}
	// The cost rows travel as themselves, in the transfer list.
	v, transfer := EncodeResponse(9, KindGive, &GiveResponse{Rows: []js.Value{u8}})
	back := new(GiveResponse)
	if !slices.ContainsFunc(transfer, func(b any) bool { return b.(js.Value).Equal(u8.Get("buffer")) }) {
		t.Errorf("a give response transfers %v, not the rows' buffer", transfer)
	}
	if err := DecodeResponse(v, KindGive, back); err != nil || len(back.Rows) != 1 || !back.Rows[0].Equal(u8) {
		t.Errorf("give: %+v, %v", back, err)
	}
	// With Cost, the rows come with the reply of the OpCost that made them.
	v, _ = EncodeResponse(10, KindGive, &GiveResponse{Rows: []js.Value{js.Global().Get("Uint8Array").New(4)}, Replies: []*ot.Reply{{RowErr: 0.25}}})
	back = new(GiveResponse)
	if err := DecodeResponse(v, KindGive, back); err != nil || len(back.Rows) != 1 || len(back.Replies) != 1 || back.Replies[0].RowErr != 0.25 {
		t.Errorf("give with cost: %+v, %v", back, err)
	}
	// With Kernel, the rows are the kernel's entries and come with its
	// state, transferred too.
	ks := &ot.KernelState{Lo: 4, Hi: 6, Eps: 0.125, F: []float64{1, 2}, U: []float64{0.5, 0.25}}
	v, transfer = EncodeResponse(11, KindGive, &GiveResponse{Rows: []js.Value{u8}, Kernel: ks})
	back = new(GiveResponse)
	if !slices.ContainsFunc(transfer, func(b any) bool { return b.(js.Value).Equal(u8.Get("buffer")) }) {
		t.Errorf("a give response with the kernel transfers %v, not its entries' buffer", transfer)
	}
	if err := DecodeResponse(v, KindGive, back); err != nil || len(back.Rows) != 1 || !reflect.DeepEqual(back.Kernel, ks) {
		t.Errorf("give with kernel: %+v (kernel %+v), %v", back, back.Kernel, err)
	}
	seen[KindGive] = true
	if len(seen) != len(requests) {
		t.Errorf("the test answers %d kinds of %d", len(seen), len(requests))
	}
	// A message the worker could not read is answered with its Header alone.
	v, _ = EncodeResponse(4, "", &Header{Err: `unknown request "nope"`})
	sr := &ScoreResponse{}
	if err := DecodeResponse(v, KindScore, sr); err != nil || sr.Error() == nil || sr.Err != `unknown request "nope"` || sr.Result != nil {
		t.Errorf("a failed request: %+v, %v", sr, err)
	}
	if _, ok := ResponseID(js.ValueOf(map[string]any{"Progress": true})); ok {
		t.Error("a progress message was taken for a response")
	}
}

// answer returns the empty response of the type req asks for (Asks).
func answer(req Request) Response {
	switch r := req.(type) {
	case Asks[*JobResponse]:
		return r.Answer()
	case Asks[*Done]:
		return r.Answer()
	case Asks[*OpResponse]:
		return r.Answer()
	case Asks[*InspectResponse]:
		return r.Answer()
	case Asks[*RepResponse]:
		return r.Answer()
	case Asks[*GiveResponse]:
		return r.Answer()
	case Asks[*ScoreResponse]:
		return r.Answer()
	case Asks[*MapsResponse]:
		return r.Answer()
	case Asks[*MapResponse]:
		return r.Answer()
	case Asks[*PixelResponse]:
		return r.Answer()
	case Asks[*HostResponse]:
		return r.Answer()
	case Asks[*PatchResponse]:
		return r.Answer()
	}
	return nil
}
