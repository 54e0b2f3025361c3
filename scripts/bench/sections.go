package main

import (
	"log"
	"os"
	"strings"
)

// writeMD writes make bench's report to -out, the sections of the file
// there that the report does not write carried over.
func writeMD(report string) {
	old, err := os.ReadFile(*outMD)
	if err != nil && !os.IsNotExist(err) {
		log.Fatal(err)
	}
	if err := os.WriteFile(*outMD, []byte(carryOver(string(old), report)), 0o644); err != nil {
		log.Fatal(err)
	}
}

// A section of BENCHMARKS.md is a "## " heading and the lines up to the
// next one (headings inside ``` fences do not count). `make bench` writes
// its own sections and carries the others over (make bench-emd's, and the
// ones measured by hand); `make bench-emd` replaces its one section.

// section is one "## " section: its heading line and its whole text.
type section struct {
	heading, text string
}

// splitSections splits a Markdown document into the text before its first
// "## " heading and its sections.
func splitSections(doc string) (head string, secs []section) {
	lines := strings.SplitAfter(doc, "\n")
	fence := false
	var cur *section
	var b strings.Builder
	flush := func() {
		if cur == nil {
			head = b.String()
		} else {
			cur.text = b.String()
			secs = append(secs, *cur)
		}
		b.Reset()
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "```") {
			fence = !fence
		}
		if !fence && strings.HasPrefix(l, "## ") {
			flush()
			cur = &section{heading: strings.TrimRight(l, "\n")}
		}
		b.WriteString(l)
	}
	flush()
	return head, secs
}

// spliceSection returns doc with the section headed heading replaced by
// text (which starts with that heading), or text appended when doc has no
// such section.
func spliceSection(doc, heading, text string) string {
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	head, secs := splitSections(doc)
	var b strings.Builder
	b.WriteString(head)
	done := false
	for i, s := range secs {
		if s.heading == heading {
			s.text, done = text, true
			if i < len(secs)-1 {
				s.text += "\n"
			}
		}
		b.WriteString(s.text)
	}
	if !done {
		if out := b.String(); out != "" && !strings.HasSuffix(out, "\n\n") {
			b.WriteString("\n")
		}
		b.WriteString(text)
	}
	return b.String()
}

// carryOver returns report (make bench's) followed by the sections of old
// (the BENCHMARKS.md it replaces) whose headings report does not have, in
// their order: the sections written by make bench-emd and by hand survive
// make bench.
func carryOver(old, report string) string {
	_, mine := splitSections(report)
	have := map[string]bool{}
	for _, s := range mine {
		have[s.heading] = true
	}
	_, secs := splitSections(old)
	var b strings.Builder
	b.WriteString(report)
	for _, s := range secs {
		if have[s.heading] {
			continue
		}
		if out := b.String(); !strings.HasSuffix(out, "\n\n") {
			b.WriteString("\n")
		}
		b.WriteString(s.text)
	}
	return b.String()
}
