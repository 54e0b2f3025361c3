package dataset

import (
	"strings"
	"testing"
)

// FuzzPair feeds arbitrary lists of feature and label file names (one name
// a line, a blank line between the lists) to the pairing by stem: it must
// never panic, and must either refuse with one line naming a file, or pair
// every file exactly once with a file of the same stem.
func FuzzPair(f *testing.F) {
	for _, s := range []string{
		"a_feat.npy\nb_feat.npy\n\na_labels.png\nb_labels.png",
		"x.npz\n\nx.npz",
		"aachen_000000_000019_leftImg8bit.npy\n\naachen_000000_000019_gtFine_labelTrainIds.png",
		"a_feat.npy\nx/a_feat.npy\n\na_labels.png",
		"_labels.npy\n.npy\n\n_labels.npy\n.npy",
		`C:\d\a_feat.npy` + "\n\n" + "a_gt.png",
		"a.b.c_feat.npy\n\na.x_labels.npy",
		"\n\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		feats, labels, _ := strings.Cut(s, "\n\n")
		files := func(list string) []File {
			var out []File
			for _, n := range strings.Split(list, "\n") {
				if n != "" {
					out = append(out, NewMemFile(n, nil))
				}
			}
			return out
		}
		fs, ls := files(feats), files(labels)
		pairs, err := Pair(fs, ls)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") && !strings.ContainsAny(s, "\r") {
				t.Fatalf("message of more than one line: %q", err)
			}
			return
		}
		if len(pairs) != len(fs) {
			t.Fatalf("%d pairs for %d feature files", len(pairs), len(fs))
		}
		if len(fs) == 1 && len(ls) == 1 {
			return // one of each is a pair, whatever the names
		}
		if len(pairs) != len(ls) {
			t.Fatalf("%d pairs for %d label files", len(pairs), len(ls))
		}
		used := map[File]bool{}
		for _, p := range pairs {
			if Stem(p[0].Name()) != Stem(p[1].Name()) {
				t.Fatalf("paired %q with %q", p[0].Name(), p[1].Name())
			}
			if used[p[0]] || used[p[1]] {
				t.Fatalf("a file paired twice: %q, %q", p[0].Name(), p[1].Name())
			}
			used[p[0]], used[p[1]] = true, true
		}
	})
}
