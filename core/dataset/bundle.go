package dataset

import (
	"fmt"

	"github.com/otceseg/otceseg/core/arrays"
)

// bundleFolderError explains why one bundle of features (.npz,
// .safetensors: a batch of images in one file) does not pair with many
// label files, and what does: the bundle's own label array, or one label
// file holding the maps of all its images in its order. Per-image label
// files pair by stem with per-image feature files only, since a bundle
// stores no image names. nil when the files are not of that kind.
func bundleFolderError(features, labels []File) error {
	if len(features) != 1 || len(labels) < 2 {
		return nil
	}
	f := features[0].Name()
	if ext := arrays.Extension(f); ext != ".npz" && ext != ".safetensors" {
		return nil
	}
	return fmt.Errorf("%s is one bundle of features and %s is one of %d label files: a bundle's images have no names to pair by, "+
		"so give its labels in the bundle itself (an array \"labels\" (B, H, W) in the bundle's image order: leave out the labels, or name the bundle again) "+
		"or as one label array file (B, H, W) in that order (np.save(\"labels.npy\", np.stack(maps))); "+
		"scripts/export_features.py --images DIR --labels DIR --out X.npz writes both into the bundle, and --out DIR writes per-image files that pair with a label folder by stem",
		f, labels[0].Name(), len(labels))
}
