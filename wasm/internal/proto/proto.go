//go:build js && wasm

// Package proto defines the messages between the page (wasm/ui) and its web
// workers (wasm/worker): one Go type per kind of request, with one codec
// (EncodeRequest, DecodeRequest) over package wire, and one type per kind
// of response (response.go), with its own codec (EncodeResponse,
// DecodeResponse).
//
// One worker, a candidate's sampler, also opens the candidate's files and
// runs the CLI's loop (Score): every worker hosts some of the fixed row
// blocks (ot.Partition) of a large problem and answers the solver's block
// operations for them, one Reply per block, in block order; for a small
// problem, each member of the sampler's team draws and solves whole
// repetitions alone (Job, Rep).
package proto

import (
	"errors"
	"fmt"
	"syscall/js"

	"github.com/otceseg/otceseg/core/arrays"
	"github.com/otceseg/otceseg/core/maps"
	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/settings"
	"github.com/otceseg/otceseg/wasm/internal/wire"
)

// Kind names a request's type on the wire.
type Kind string

// Request kinds, one for each request type below.
const (
	KindJob     Kind = "job"     // Job
	KindBlocks  Kind = "blocks"  // Blocks
	KindOp      Kind = "op"      // Op
	KindRelease Kind = "release" // Release
	KindInspect Kind = "inspect" // Inspect
	KindRep     Kind = "rep"     // Rep
	KindWarm    Kind = "warm"    // Warm
	KindGive    Kind = "give"    // Give
	KindPort    Kind = "port"    // Port
	KindScore   Kind = "score"   // Score
	KindMaps    Kind = "maps"    // Maps
	KindMap     Kind = "map"     // Map
	KindPixel   Kind = "pixel"   // Pixel
	KindHost    Kind = "host"    // Host
	KindPatch   Kind = "patch"   // Patch
)

// Request is a message to a worker: one of the types below, each a kind of
// its own. EncodeRequest and DecodeRequest are their one codec.
type Request interface {
	Kind() Kind
}

// Files are the JS File or Blob objects of one candidate.
type Files struct {
	Name           string
	SourceFeatures []js.Value
	SourceLabels   []js.Value
	TargetFeatures []js.Value
	TargetLabels   []js.Value
	Accuracy       *float64
}

// Job asks a member of a team (Score.Team) to open a candidate's files
// (otce.Prepare) with the settings, for the Rep requests that follow; the
// response's Job describes them.
type Job struct {
	Settings settings.Settings
	Files    *Files
}

// FileError is an arrays.FileError on the wire: the error's message goes as
// a string, and this keeps the file it is about, so that the receiver gets
// an *arrays.FileError back (errors.As finds the file, not a prefix of the
// message).
type FileError struct {
	File, Member string
	Problem      string // the FileError's Err, as text
}

// FileErrorOf returns the file error that err is or wraps, for the wire, or
// nil if it is about no one file.
func FileErrorOf(err error) *FileError {
	var fe *arrays.FileError
	if !errors.As(err, &fe) {
		return nil
	}
	return &FileError{File: fe.File, Member: fe.Member, Problem: fe.Err.Error()}
}

// remoteError is the error of a message msg received with fe: an error
// whose text is msg and which wraps an *arrays.FileError of the same file
// when fe is set; nil when msg is empty.
func remoteError(msg string, fe *FileError) error {
	if msg == "" {
		return nil
	}
	if fe == nil {
		return errors.New(msg)
	}
	return &wrapped{msg, &arrays.FileError{File: fe.File, Member: fe.Member, Err: errors.New(fe.Problem)}}
}

// wrapped is an error of text msg wrapping err (its message may have added
// to err's, as "source: …" does).
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }

// Blocks asks a worker to build blocks Blocks (indices in ot.Partition) of
// Problem, or of the problem of the sample it drew itself (OwnSample: the
// sampler's; a copy of it from the page would be the features again).
type Blocks struct {
	Problem   *ot.Problem
	Blocks    []int
	OwnSample bool
}

// Op asks a worker to run Op on its blocks.
type Op struct {
	Op *ot.Op
}

// Release asks a worker to drop its blocks and free their memory.
type Release struct{}

// Inspect asks any worker to open the headers of Files and report their
// shapes or errors.
type Inspect struct {
	Files []js.Value
}

// Warm asks any worker to score the built-in demo once, so that the browser
// compiles the hot code before a run.
type Warm struct{}

// Give asks a worker other than the sampler, from the sampler, for the cost
// rows of its hosted block Block (after OpCost), moved out in the
// response's Rows. With Cost, the worker computes them first (OpCost with
// the statistics, whose reply is the response's Replies) and keeps none of
// them: the sampler then hosts the block until it hands it back (Host).
// With Kernel (after the kernel is built), the worker gives the block's
// kernel instead: its state (ot.KernelState) without the entries in the
// response's Kernel, and the entries in its Rows as Uint8Arrays of their
// bytes (little endian), transferred: the dense kernel, or the sparse
// form's values, columns and row starts. The worker keeps an empty block
// in its place, which the sampler may give a kernel again (Host); with
// Drop it keeps none, and hosts the blocks after it only (Block must be the
// first it hosts: an overlapped pool's sampler takes its share of a
// repetition's blocks back while it has nothing else to do).
type Give struct {
	Block  int
	Cost   bool
	Kernel bool
	Drop   bool
}

// Host asks a worker other than the sampler, from the sampler, to host
// block Block again from the cost rows it gave the sampler (Give with
// Cost), which come back in Rows (a Uint8Array of their float32 bytes,
// transferred), once it has run Op on them (the kernel, OpKernel), whose
// reply is the response's Replies. With Kernel, the sampler hands over a
// block whose kernel it built (an overlapped pool, schedule.PageOverlap):
// Rows hold the kernel's entries as GiveResponse's do (the dense kernel,
// or the sparse form's values, columns and row starts) and Kernel the rest
// of its state; the worker hosts the block of that state from then on
// (ot.NewKernelBlock), and runs no Op.
type Host struct {
	Block  int
	Op     *ot.Op
	Rows   []js.Value
	Kernel *ot.KernelState
}

// Port gives a worker one end of a MessageChannel (transferred): a worker
// other than the sampler answers the requests that come on it; the sampler
// (Peer > 0) reaches worker Peer through it.
type Port struct {
	Port js.Value
	Peer int
}

// Score asks the sampler to score a candidate end to end with the CLI's
// loop (otce.ScoreWith): it opens the files, checks the memory, and for
// each repetition draws the pixels and solves them alone or over the pool's
// blocks (through its ports to the other workers), posting Progress with
// the phases and iterations, and answers the report and the benchmark's
// phases (ScoreResponse). When Team has more than one worker (the sampler
// first, then workers it has ports to) and the problem is small
// (schedule.SideBySide), the team runs the repetitions side by side
// instead (otce.Options.Team: the others through Job and Rep requests on
// their ports). Workers is the pool's size;
// LocalMax the largest N·M solved alone (schedule.Local); ExactOnPool,
// when set, overrides schedule.ExactOnPool, and SplitMinRows is the
// fewest pending rows of the other workers' blocks for which a bidding
// round of the sampler's exact plan also runs there (ot.SplitBlocks; 0: the
// worker's default); GatherMin is schedule.Gather's limit (0: its
// default); IterateHereMax is schedule.IterateHere's limit (0: its
// default; positive: without the timing; negative: never); ReadAheadMax
// is the most bytes a file reads ahead (blobfile.SetAheadMax: 0 its
// default, negative none); SwapCost starts the gathered cost (gatherCost)
// with the sampler's blocks at the front of the second worker's list and
// none in the sampler's own, so that another worker computes the
// sampler's blocks and the sampler the other workers' last ones: both of
// the sharing's paths, whatever the timing. Overlap asks for the
// repetitions overlapped where schedule.PageOverlap allows it (the page
// asks unless a test turns it off), and HandOverMax is schedule.HandOver's limit (0: its
// default). Tests and benchmarks set these.
type Score struct {
	Settings       settings.Settings
	Files          *Files
	Team           []int
	Workers        int
	LocalMax       int64
	ExactOnPool    *bool
	SplitMinRows   int
	GatherMin      int64
	IterateHereMax int64
	ReadAheadMax   int64
	SwapCost       bool
	Overlap        bool
	HandOverMax    int64
}

// Maps asks the sampler for a candidate's transferability maps (package
// maps): it scores the candidate as Score does (the same fields, the same
// loop, asking the solver for the potentials), keeps the repetitions'
// maps.Rep until the next Maps, Score or Job, and answers MapsInfo: the
// per-image table over every target image (their dense maps computed one
// at a time, only the table kept), the per-class table, and the map of
// target image Image (−1: the worst).
type Maps struct {
	Score
	Image int
}

// Map asks the sampler for the dense map of target image Image (an index
// in the target domain) from the repetitions of the last Maps.
type Map struct {
	Image int
}

// Rep asks a member of a team for repetition Rep of the job it opened
// (Job): drawn and solved alone (otce.Job.SolveRep).
type Rep struct {
	Rep int
}

// Pixel asks the sampler what the last Maps' repetitions say about
// feature pixel Pixel of target image Image (maps.PixelAt).
type Pixel struct {
	Image, Pixel int
}

// Patch asks the sampler for the patch-wise maps of stride Stride of the
// last Maps' candidate (maps.PatchesWith with maps.PatchOptionsOf of its
// settings, as `otce map --patch`), answered in PatchResponse.
type Patch struct {
	Stride int
}

// Kind implements Request.
func (*Patch) Kind() Kind   { return KindPatch }
func (*Score) Kind() Kind   { return KindScore }
func (*Maps) Kind() Kind    { return KindMaps }
func (*Map) Kind() Kind     { return KindMap }
func (*Pixel) Kind() Kind   { return KindPixel }
func (*Rep) Kind() Kind     { return KindRep }
func (*Job) Kind() Kind     { return KindJob }
func (*Blocks) Kind() Kind  { return KindBlocks }
func (*Op) Kind() Kind      { return KindOp }
func (*Release) Kind() Kind { return KindRelease }
func (*Inspect) Kind() Kind { return KindInspect }
func (*Warm) Kind() Kind    { return KindWarm }
func (*Give) Kind() Kind    { return KindGive }
func (*Port) Kind() Kind    { return KindPort }
func (*Host) Kind() Kind    { return KindHost }

// requests makes an empty request of each kind, for DecodeRequest.
var requests = map[Kind]func() Request{
	KindJob:     func() Request { return new(Job) },
	KindBlocks:  func() Request { return new(Blocks) },
	KindOp:      func() Request { return new(Op) },
	KindRelease: func() Request { return new(Release) },
	KindInspect: func() Request { return new(Inspect) },
	KindWarm:    func() Request { return new(Warm) },
	KindGive:    func() Request { return new(Give) },
	KindPort:    func() Request { return new(Port) },
	KindScore:   func() Request { return new(Score) },
	KindMaps:    func() Request { return new(Maps) },
	KindMap:     func() Request { return new(Map) },
	KindPixel:   func() Request { return new(Pixel) },
	KindRep:     func() Request { return new(Rep) },
	KindHost:    func() Request { return new(Host) },
	KindPatch:   func() Request { return new(Patch) },
}

// The envelope's properties, set on the encoded request.
const (
	idKey   = "$id"
	kindKey = "$kind"
)

// EncodeRequest returns request r, numbered id, as the JS value to post and
// the objects to transfer with it (ArrayBuffers, and a Port's port).
func EncodeRequest(id int, r Request) (js.Value, []any) {
	obj, transfer := wire.Encode(r)
	obj.Set(idKey, id)
	obj.Set(kindKey, string(r.Kind()))
	if p, ok := r.(*Port); ok {
		transfer = append(transfer, p.Port)
	}
	if h, ok := r.(*Host); ok {
		transfer = append(transfer, buffers(h.Rows)...)
	}
	return obj, transfer
}

// DecodeRequest is the inverse of EncodeRequest: the request's number and
// the request, of the type its kind names.
func DecodeRequest(v js.Value) (int, Request, error) {
	if v.Type() != js.TypeObject {
		return 0, nil, errors.New("a request that is not an object")
	}
	id, kind := v.Get(idKey), v.Get(kindKey)
	if id.Type() != js.TypeNumber || kind.Type() != js.TypeString {
		return 0, nil, errors.New("a request without a number or a kind")
	}
	mk, ok := requests[Kind(kind.String())]
	if !ok {
		return id.Int(), nil, fmt.Errorf("unknown request %q", kind.String())
	}
	r := mk()
	if err := wire.Decode(v, r); err != nil {
		return id.Int(), nil, err
	}
	return id.Int(), r, nil
}

// JobInfo describes an opened candidate (the answer to Job).
type JobInfo struct {
	Dim                      int
	SourceValid, TargetValid int64
	SourceImages             int
	TargetImages             int
	Warnings                 []string
}

// FileInfo describes one inspected file.
type FileInfo struct {
	Name  string
	Info  string // shape and type, or the arrays a bundle holds
	Error string
}

// MapsInfo is what the sampler answers about the maps (MapsResponse).
type MapsInfo struct {
	// MaxH is the top of the colour scale, log of the most target classes
	// of a repetition (as `otce map` without --max-h).
	MaxH float64
	// Images is the per-image table, worst first (maps.WorstFirst).
	Images []maps.ImageScore
	// Classes is the per-class table (maps.Classes).
	Classes []maps.ClassRow
	// Image is the index of Map's image; Map its dense map.
	Image int
	Map   *maps.Map
	// Thumbs are the worst images' thumbnails (maps.Map.Thumbnail), worst
	// first.
	Thumbs []Thumb
}

// Thumb is a target image's thumbnail map.
type Thumb struct {
	Image int
	Map   *maps.Map
}

// Progress is posted by the sampler while it scores (Score, Maps), a few
// times a second, before the response.
type Progress struct {
	Progress *ot.Progress
	// Phase and Rep are otce.Progress's: the phase of repetition Rep
	// (0-based); Progress is the solver's progress in PhaseIterations, and
	// in PhaseDone its Iteration is the repetition's iterations (0 when it
	// reused the last solution); empty otherwise.
	Phase string
	Rep   int
	// Image and Images are, for a Maps request in PhaseMaps, the target
	// image being mapped (0-based) and their number; for a Patch request
	// (PhasePatches), the patches read so far and their number.
	Image, Images int
}

// PhaseMaps is the phase of a Maps request after its repetitions: the
// target images' maps, one at a time.
const PhaseMaps = "maps"

// PhasePatches is the phase of a Patch request.
const PhasePatches = "patches"

// Ready is the first message a worker posts, once its handler is installed.
type Ready struct {
	Ready bool
}
