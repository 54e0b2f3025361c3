package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
)

// wholeNumbers makes every integer flag of fs also accept a whole number
// written as a float ("1e4", "10000.0"), and say "not a whole number"
// otherwise.
func wholeNumbers(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		g, ok := f.Value.(flag.Getter)
		if _, done := f.Value.(wholeNumber); !ok || done {
			return
		}
		switch g.Get().(type) {
		case int, int64, uint, uint64:
			f.Value = wholeNumber{g}
		}
	})
}

// wholeNumber is an integer flag that also reads whole numbers written as
// floats.
type wholeNumber struct{ flag.Getter }

func (w wholeNumber) Set(s string) error {
	if w.Getter.Set(s) == nil {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v != math.Trunc(v) {
		return errors.New("not a whole number")
	}
	if math.Abs(v) >= 1<<63 {
		return errors.New("out of range")
	}
	if err := w.Getter.Set(strconv.FormatInt(int64(v), 10)); err != nil {
		return errors.New("out of range")
	}
	return nil
}

// parseFlags parses args into fs: a malformed flag is one line ("invalid
// value "x" for flag -n: not a whole number"), not the whole usage, which
// only -h prints.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	wholeNumbers(fs)
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stderr)
		fmt.Fprintf(stderr, "usage of %s:\n", fs.Name())
		fs.PrintDefaults()
		return exitError{2, errors.New("")}
	}
	if err != nil {
		return fmt.Errorf("%v (otce help lists the flags)", err)
	}
	return nil
}
