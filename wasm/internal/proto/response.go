//go:build js && wasm

package proto

import (
	"errors"
	"fmt"
	"syscall/js"

	"github.com/otceseg/otceseg/core/maps"
	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/report"
	"github.com/otceseg/otceseg/wasm/internal/wire"
)

// Response is a worker's answer to a request: one type per kind of request
// (the request's Answer), each holding the common Header first.
type Response interface {
	// Head returns the response's Header.
	Head() *Header
}

// Asks is a request whose answer is of type R: Answer returns an empty one
// to fill (the worker) or to decode into (the page, the sampler).
type Asks[R Response] interface {
	Request
	Answer() R
}

// Header is what every response carries: the error of the request, if it
// failed, and the worker's time on it.
type Header struct {
	Err string
	// ErrFile is the file Err is about, when it is about one
	// (FileErrorOf).
	ErrFile *FileError
	// Busy is the seconds the worker spent on the request, from its
	// arrival to its answer (the page's time minus it is the messages').
	Busy float64
}

// Head implements Response.
func (h *Header) Head() *Header { return h }

// Error returns the response's error (Err, wrapping an *arrays.FileError
// when ErrFile is set), or nil.
func (h *Header) Error() error { return remoteError(h.Err, h.ErrFile) }

// Done answers a request that returns nothing but its Header (Blocks,
// Release, Warm, Port).
type Done struct {
	Header
}

// JobResponse answers Job: the opened candidate.
type JobResponse struct {
	Header
	Job *JobInfo
}

// OpResponse answers Op: one reply per hosted block, or per whole node of
// the solver's reduction tree for ot.OpIterate (ot.CombineIterate).
type OpResponse struct {
	Header
	Replies []*ot.Reply
}

// InspectResponse answers Inspect: one FileInfo per file, in order.
type InspectResponse struct {
	Header
	Files []FileInfo
}

// GiveResponse answers Give: the block's cost rows as a Uint8Array of their
// float32 bytes (little endian, row-major), transferred, not copied, and,
// for Give with Cost, the reply of the OpCost that computed them. For Give
// with Kernel, Kernel is the block's kernel state without its entries,
// which are in Rows (Give).
type GiveResponse struct {
	Header
	Rows    []js.Value
	Replies []*ot.Reply
	Kernel  *ot.KernelState
}

// HostResponse answers Host: the reply of the Op run on the block hosted
// again (the kernel, OpKernel).
type HostResponse struct {
	Header
	Replies []*ot.Reply
}

// ScoreResponse answers Score: the candidate's report (errors included),
// and the seconds of the benchmark's phases that the sampler measured
// (give, busy:<op>, msg:post, msg:decode), with counts that are not
// seconds: shared:<op> (ot.SplitBlocks), and take:MB, take:pool-ms and
// take:here-ms (the kernels the sampler took and the timing that decided
// it, schedule.IterateHere).
type ScoreResponse struct {
	Header
	Result *report.Candidate
	Bench  map[string]float64
}

// MapsResponse answers Maps: the score's report and phases, as for Score,
// and the maps' tables with the map of one image (nil when the score
// failed).
type MapsResponse struct {
	ScoreResponse
	Maps *MapsInfo
}

// MapResponse answers Map: the dense map of target image Image.
type MapResponse struct {
	Header
	Image int
	Map   *maps.Map
}

// RepResponse answers Rep: the repetition's sample without its features
// (otce.Sample.Brief) and its solution (nil when the repetition reuses the
// last one: otce.Options.Rep).
type RepResponse struct {
	Header
	Sample   *otce.Sample
	Solution *ot.Solution
}

// PixelResponse answers Pixel.
type PixelResponse struct {
	Header
	Pixel *maps.Pixel
}

// PatchResponse answers Patch: the patch-wise maps of the last Maps'
// candidate.
type PatchResponse struct {
	Header
	Patch *maps.PatchMap
}

// Answer returns an empty response of the request's type: the one type its
// worker answers with.
func (*Job) Answer() *JobResponse         { return new(JobResponse) }
func (*Blocks) Answer() *Done             { return new(Done) }
func (*Op) Answer() *OpResponse           { return new(OpResponse) }
func (*Release) Answer() *Done            { return new(Done) }
func (*Inspect) Answer() *InspectResponse { return new(InspectResponse) }
func (*Warm) Answer() *Done               { return new(Done) }
func (*Give) Answer() *GiveResponse       { return new(GiveResponse) }
func (*Port) Answer() *Done               { return new(Done) }
func (*Score) Answer() *ScoreResponse     { return new(ScoreResponse) }
func (*Maps) Answer() *MapsResponse       { return new(MapsResponse) }
func (*Map) Answer() *MapResponse         { return new(MapResponse) }
func (*Pixel) Answer() *PixelResponse     { return new(PixelResponse) }
func (*Rep) Answer() *RepResponse         { return new(RepResponse) }
func (*Host) Answer() *HostResponse       { return new(HostResponse) }
func (*Patch) Answer() *PatchResponse     { return new(PatchResponse) }

// transferer is a response with objects to transfer rather than copy.
type transferer interface{ transfer() []any }

// transfer returns the ArrayBuffers of the Rows, which postMessage moves
// to the receiver instead of copying them.
func (r *GiveResponse) transfer() []any { return buffers(r.Rows) }

// buffers returns the ArrayBuffers of the typed arrays rows.
func buffers(rows []js.Value) []any {
	var out []any
	for _, v := range rows {
		out = append(out, v.Get("buffer"))
	}
	return out
}

// failed is the kind on the wire of a response that is its Header alone:
// the answer to a message that was no request of a known kind.
const failed = "$failed"

// EncodeResponse returns response r to request number id, of kind k, as
// the JS value to post and the objects to transfer with it (ArrayBuffers,
// GiveResponse's rows). The answer to a message that did not decode as a
// request is a *Header alone (k is then ignored: DecodeResponse reads it
// as the error of any kind).
func EncodeResponse(id int, k Kind, r Response) (js.Value, []any) {
	obj, transfer := wire.Encode(r)
	if _, ok := r.(*Header); ok {
		k = failed
	}
	obj.Set(idKey, id)
	obj.Set(kindKey, string(k))
	if t, ok := r.(transferer); ok {
		transfer = append(transfer, t.transfer()...)
	}
	return obj, transfer
}

// ResponseID returns the number of the request that the posted message v
// answers, and whether v is a response at all (a worker also posts Ready
// and Progress messages).
func ResponseID(v js.Value) (int, bool) {
	if v.Type() != js.TypeObject {
		return 0, false
	}
	id := v.Get(idKey)
	if id.Type() != js.TypeNumber {
		return 0, false
	}
	return id.Int(), true
}

// DecodeResponse fills r, the response to a request of kind k, from v
// (EncodeResponse's). A worker that could not read the request answers
// with its Header alone: r then gets that Header and the rest of it stays
// empty.
func DecodeResponse(v js.Value, k Kind, r Response) error {
	if _, ok := ResponseID(v); !ok {
		return errors.New("a response without a number")
	}
	switch got := v.Get(kindKey); {
	case got.Type() == js.TypeString && got.String() == failed:
		var h Header
		if err := wire.Decode(v, &h); err != nil {
			return err
		}
		*r.Head() = h
		return nil
	case got.Type() != js.TypeString || Kind(got.String()) != k:
		return fmt.Errorf("a response of kind %v to a %s request", got, k)
	}
	return wire.Decode(v, r)
}
