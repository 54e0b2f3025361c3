package metrics

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkSampleForm times LogME and H-score on a small sample (n < d:
// one patch of a patch map, d = 256, 5 classes, clustered features) in
// the n×n form that LogME, HScore and Compute take against the d×d form,
// in the same invocation:
//
//	go test -run '^$' -bench SampleForm ./core/metrics/
func BenchmarkSampleForm(b *testing.B) {
	const d, classes = 256, 5
	for _, n := range []int{64, 200} {
		rng := rand.New(rand.NewPCG(15, uint64(n)))
		centres := make([]float64, classes*d)
		for i := range centres {
			centres[i] = rng.NormFloat64()
		}
		x := make([]float64, n*d)
		labels := make([]int32, n)
		for i := range labels {
			c := i % classes
			labels[i] = int32(c)
			for k := 0; k < d; k++ {
				x[i*d+k] = centres[c*d+k] + rng.NormFloat64()
			}
		}
		dt, err := prepare(x, d, labels, 2)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("n=%d/d=%d/n×n", n, d), func(b *testing.B) {
			for b.Loop() {
				mu, _ := dt.classMeans()
				if _, err := logMESample(dt); err != nil {
					b.Fatal(err)
				}
				if _, err := hScoreSample(dt, mu, 1e-15); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("n=%d/d=%d/d×d", n, d), func(b *testing.B) {
			for b.Loop() {
				mu, mc := dt.classMeans()
				g := dt.centredGram(mu)
				if _, err := logME(dt, mu, mc, append([]float64(nil), g...)); err != nil {
					b.Fatal(err)
				}
				if _, err := hScore(dt, mu, mc, g, 1e-15); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
