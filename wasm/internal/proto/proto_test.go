//go:build js && wasm

package proto

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"syscall/js"
	"testing"

	"github.com/otceseg/otceseg/core/arrays"
	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/settings"
	"github.com/otceseg/otceseg/wasm/internal/wire"
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
		&Sample{Rep: 3, Brief: true},
		&Add{Solution: &ot.Solution{CE: 0.25, Iterations: 7, StopRule: ot.StopMarginal}},
		&Result{Err: "cancelled"},
		&Result{Err: "source: s.npz:features: truncated", ErrFile: &FileError{File: "s.npz", Member: "features", Problem: "truncated"}},
		&Blocks{Problem: &ot.Problem{N: 2, M: 1, D: 1, Xs: []float32{1, 2}, Ys: []int32{0, 0}, Xt: []float32{3}, Yt: []int32{0}, La: 1, Lb: 1}, Blocks: []int{0}},
		&Blocks{OwnSample: true, Blocks: []int{1, 2}},
		&Op{Op: &ot.Op{Kind: ot.OpIterate, V: []float64{1, 2}}},
		&Release{},
		&Inspect{Files: []js.Value{blob}},
		&Solve{Settings: s},
		&Warm{},
		&Give{Block: 4},
		&Give{Block: 5, Cost: true},
		&Give{Block: 6, Kernel: true},
		&Score{Settings: s, Files: &Files{Name: "m"}, Workers: 3, LocalMax: 1 << 22, ExactOnPool: new(bool), SplitMinRows: 9},
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
// Response from the worker, a Result back to it) with its text unchanged and
// its file found by errors.As on the other side; an error about no file
// comes back as plain text, and no error as nil.
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
		r := &Response{ID: 1, Err: c.err.Error(), ErrFile: FileErrorOf(c.err)}
		obj, _ := wire.Encode(r)
		var back Response
		if err := wire.Decode(obj, &back); err != nil {
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
		// And back to the worker in a Result, as the page sends it.
		res := &Result{Err: err.Error(), ErrFile: FileErrorOf(err)}
		if e := res.Error(); e.Error() != c.err.Error() || (FileErrorOf(e) == nil) != (c.file == "") {
			t.Errorf("%v: result's error %v", c.err, e)
		}
	}
	if (&Response{}).Error() != nil || (&Result{}).Error() != nil {
		t.Error("no error came back as an error")
	}
}
