package core

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Synthetic draws the guaranteed orthogonally separable dataset of
// SCIENCE.md section 1 from spec (Kind is not consulted) and seed.
//
// Class centres c_1..c_K are unit vectors with pairwise cosine -1/(K-1): for
// K = 2, c_1 is a random unit vector and c_2 = -c_1; for K > 2, e_1..e_K are
// random orthonormal vectors and c_k = sqrt(K/(K-1)) (e_k - mean_k' e_k').
// A point of class k is s (c_k + r): r is orthogonal to every centre (and,
// for K > 2, to every e_k), has a uniformly random direction in that
// complement and length rho U with U uniform in [0, 1) and
// rho = Noise sqrt(1/(K-1)); s is log-uniform in [1, NormSpread]. Hence
// same-class cosines are >= (1-rho^2)/(1+rho^2) > 0 and cross-class cosines
// are <= -1/(K-1) + rho^2 < 0.
//
// Training points come first class by class (PerClass each), then the test
// points (TestPerClass each, 0 allowed) from the same stream, so the training
// split does not depend on TestPerClass. Equal seeds give identical data.
// Stats are left for BuildDataset.
func Synthetic(spec DataSpec, seed uint64) (*Dataset, error) {
	k, d := spec.Classes, spec.Dim
	switch {
	case k < 2:
		return nil, fmt.Errorf("synthetic data: data.classes = %d: need at least 2 classes", k)
	case d < k+1:
		return nil, fmt.Errorf("synthetic data: data.dim = %d: need at least data.classes+1 = %d dimensions (the noise lives orthogonally to the class centres)", d, k+1)
	case spec.PerClass < 1:
		return nil, fmt.Errorf("synthetic data: data.per_class = %d: need at least 1 point per class", spec.PerClass)
	case spec.TestPerClass < 0:
		return nil, fmt.Errorf("synthetic data: data.test_per_class = %d: must be >= 0", spec.TestPerClass)
	case !(spec.Noise >= 0 && spec.Noise < 1):
		return nil, fmt.Errorf("synthetic data: data.noise = %v: must be in [0, 1) (a fraction of the separability bound sqrt(1/(K-1)))", spec.Noise)
	case !(spec.NormSpread >= 1) || math.IsInf(spec.NormSpread, 1):
		return nil, fmt.Errorf("synthetic data: data.norm_spread = %v: must be a finite number >= 1 (1 means no rescaling)", spec.NormSpread)
	}

	rng := rand.New(rand.NewPCG(mixSeed64(seed), mixSeed64(seed^0x9e3779b97f4a7c15)))

	// basis spans everything the noise must avoid; centres are the c_k.
	var basis, centres [][]float64
	if k == 2 {
		c := make([]float64, d)
		randomUnitOrthogonal(rng, c, nil)
		m := make([]float64, d)
		for i, v := range c {
			m[i] = -v
		}
		basis = [][]float64{c}
		centres = [][]float64{c, m}
	} else {
		basis = make([][]float64, k)
		for j := range basis {
			basis[j] = make([]float64, d)
			randomUnitOrthogonal(rng, basis[j], basis[:j])
		}
		mean := make([]float64, d)
		for _, e := range basis {
			for i, v := range e {
				mean[i] += v / float64(k)
			}
		}
		scale := math.Sqrt(float64(k) / float64(k-1))
		centres = make([][]float64, k)
		for j, e := range basis {
			c := make([]float64, d)
			for i := range c {
				c[i] = scale * (e[i] - mean[i])
			}
			centres[j] = c
		}
	}

	rho := spec.Noise * math.Sqrt(1/float64(k-1))
	logSpread := math.Log(spec.NormSpread)
	r := make([]float64, d)
	draw := func(s *Split, per int) {
		s.N, s.D = k*per, d
		s.X = make([]float64, s.N*d)
		s.Y = make([]int, s.N)
		for c := 0; c < k; c++ {
			for p := 0; p < per; p++ {
				i := c*per + p
				s.Y[i] = c
				randomUnitOrthogonal(rng, r, basis)
				length := rho * rng.Float64()
				scale := math.Exp(logSpread * rng.Float64())
				row := s.Row(i)
				for j := range row {
					row[j] = scale * (centres[c][j] + length*r[j])
				}
			}
		}
	}
	ds := &Dataset{K: k}
	draw(&ds.Train, spec.PerClass)
	draw(&ds.Test, spec.TestPerClass)

	// Guaranteed separability constants of the generator (SCIENCE.md section 1).
	ds.Notes = append(ds.Notes, fmt.Sprintf(
		"synthetic: K=%d, D=%d, rho=%.4g (noise %.4g of the bound %.4g), norm spread %.4g: guaranteed mu_s >= %.4g, mu_d >= %.4g",
		k, d, rho, spec.Noise, math.Sqrt(1/float64(k-1)), spec.NormSpread,
		(1-rho*rho)/(1+rho*rho), (1/float64(k-1)-rho*rho)/(1+rho*rho)))
	return ds, nil
}

// randomUnitOrthogonal fills v with a uniformly random unit vector
// orthogonal to the orthonormal vectors in basis (Gaussian draw, projected
// out twice for numerical orthogonality, then normalised; redrawn in the
// measure-zero event of a tiny remainder). len(v) must exceed len(basis).
func randomUnitOrthogonal(rng *rand.Rand, v []float64, basis [][]float64) {
	for {
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		for pass := 0; pass < 2; pass++ {
			for _, b := range basis {
				var dot float64
				for i, x := range b {
					dot += x * v[i]
				}
				for i, x := range b {
					v[i] -= dot * x
				}
			}
		}
		var ss float64
		for _, x := range v {
			ss += x * x
		}
		if ss > 1e-20 {
			inv := 1 / math.Sqrt(ss)
			for i := range v {
				v[i] *= inv
			}
			return
		}
	}
}

// mixSeed64 is the SplitMix64 finaliser: it turns one 64-bit seed into a
// well-mixed 64-bit value, used to derive the two PCG seed halves.
func mixSeed64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
