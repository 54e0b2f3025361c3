package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/otceseg/otceseg/core/settings"
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

// String implements flag.Value. flag.PrintDefaults also calls it on the
// zero wholeNumber, without a Getter, to tell a default from the zero
// value: "0", that of every integer flag it wraps.
func (w wholeNumber) String() string {
	if w.Getter == nil {
		return "0"
	}
	return w.Getter.String()
}

func (w wholeNumber) Set(s string) error {
	if w.Getter.Set(s) == nil {
		return nil
	}
	v, err := settings.ParseWhole(s) // as the page's form reads it
	if err != nil {
		return err
	}
	if err := w.Getter.Set(strconv.FormatInt(v, 10)); err != nil {
		return settings.ErrRange
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
