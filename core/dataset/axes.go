package dataset

import (
	"fmt"

	"github.com/otceseg/otceseg/core/arrays"
)

// axisOrderWarning checks the per-axis label/feature ratios of a volume
// grid g: (rd, rh, rw) = (DL/D, HL/H, WL/W). A network's feature map is
// the volume downsampled by one stride on every axis in most models, so
// unequal ratios often mean that the features were saved in another axis
// order than the labels — SimpleITK's (C, Z, Y, X) against nibabel's
// (X, Y, Z), say — which every ratio may still divide, giving a plausible
// but wrong score. It returns a warning naming the axes and, when one
// exists, the reordering of the feature axes that would make the ratios
// equal; "" when the ratios are equal or g is not a volume. Anisotropic
// strides (e.g. nnU-Net's on thick-slice scans) give unequal ratios on
// purpose: the warning says so.
func axisOrderWarning(fa, la *arrays.Array, g grid) string {
	if !g.volume() {
		return ""
	}
	f := [3]int{g.d, g.h, g.w}
	l := [3]int{g.dl, g.hl, g.wl}
	if l[0]/f[0] == l[1]/f[1] && l[1]/f[1] == l[2]/f[2] {
		return ""
	}
	names := [3]string{"D", "H", "W"}
	w := fmt.Sprintf("%s %v and %s %v: the label/feature ratios per axis (D, H, W) = (%d, %d, %d) are unequal",
		fa.Name, fa.Shape, la.Name, la.Shape, l[0]/f[0], l[1]/f[1], l[2]/f[2])
	for _, p := range [][3]int{{2, 1, 0}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}} {
		q := [3]int{f[p[0]], f[p[1]], f[p[2]]}
		if q == f {
			continue
		}
		if l[0]%q[0] == 0 && l[1]%q[1] == 0 && l[2]%q[2] == 0 && l[0]/q[0] == l[1]/q[1] && l[1]/q[1] == l[2]/q[2] {
			w += fmt.Sprintf(": were the features saved in another axis order? Read as (%s, %s, %s), their grid %dx%dx%d would be the labels' %dx%dx%d divided by %d on every axis (SimpleITK's (C, Z, Y, X) against nibabel's (X, Y, Z) reverses the axes)",
				names[p[0]], names[p[1]], names[p[2]], q[0], q[1], q[2], l[0], l[1], l[2], l[0]/q[0])
			return w + "; transpose the features to the labels' order, or ignore this if the network's strides differ per axis"
		}
	}
	return w + ": check that the features and the labels have the same axis order, or ignore this if the network's strides differ per axis"
}
