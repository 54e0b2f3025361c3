package main

import "testing"

const sectionsDoc = "# Benchmarks\n\nintro\n\n## Time\n\nrows\n\n```\n## not a heading\n```\n\n## Against the authors' exact pipeline (make bench-emd)\n\nold emd\n\n## Maps (by hand)\n\nmaps\n"

func TestSpliceSection(t *testing.T) {
	got := spliceSection(sectionsDoc, emdHeading, emdHeading+"\n\nnew emd\n")
	want := "# Benchmarks\n\nintro\n\n## Time\n\nrows\n\n```\n## not a heading\n```\n\n## Against the authors' exact pipeline (make bench-emd)\n\nnew emd\n\n## Maps (by hand)\n\nmaps\n"
	if got != want {
		t.Errorf("replaced:\n%q\nwant\n%q", got, want)
	}
	got = spliceSection("# B\n\n## Time\n\nrows\n", emdHeading, emdHeading+"\n\nnew\n")
	want = "# B\n\n## Time\n\nrows\n\n" + emdHeading + "\n\nnew\n"
	if got != want {
		t.Errorf("appended:\n%q\nwant\n%q", got, want)
	}
	if got := spliceSection("", emdHeading, emdHeading+"\n"); got != emdHeading+"\n" {
		t.Errorf("into an empty file: %q", got)
	}
}

func TestCarryOver(t *testing.T) {
	report := "# Benchmarks\n\nnew intro\n\n## Time\n\nnew rows\n"
	got := carryOver(sectionsDoc, report)
	want := "# Benchmarks\n\nnew intro\n\n## Time\n\nnew rows\n\n## Against the authors' exact pipeline (make bench-emd)\n\nold emd\n\n## Maps (by hand)\n\nmaps\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if got := carryOver("", report); got != report {
		t.Errorf("no old file: %q", got)
	}
}
