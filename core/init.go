package core

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Initialize returns the initial network for spec on data with input
// dimension d and k classes: H = spec.Model.Width hidden neurons and
// Out = spec.Outputs() outputs. The weights are spec.Model.InitScale (eps)
// times a shape drawn from a PCG generator seeded by spec.ShapeSeed(), so
// runs that differ only in eps start from exactly proportional weights.
//
// Shapes (spec.Model.Init):
//   - "gaussian": balanced, as in Assumption 2. w_j0 = g/|g| with
//     g ~ N(0, I_D). For one output v_j0 = +1 for even j and -1 for odd j,
//     so both signs occur whenever H >= 2 (N_+ and N_- of Assumption 3 are
//     never empty; the random directions w_j0 supply the randomness). For K
//     outputs v_j0 is a normalised N(0, I_K) direction. |w_j0| = |v_j0| = 1.
//   - "paper": every entry of W and V iid N(0, 1), not balanced; times eps
//     this is the paper's N(0, eps^2) initialization.
//
// Draw order (part of the shape's definition): gaussian draws w_j0 then
// v_j0 neuron by neuron; paper draws W then V in row-major order.
func Initialize(spec Spec, d, k int) (*Network, error) {
	h, out := spec.Model.Width, spec.Outputs()
	eps := spec.Model.InitScale
	switch {
	case d < 1:
		return nil, fmt.Errorf("initialize: input dimension %d, want >= 1", d)
	case h < 1:
		return nil, fmt.Errorf("initialize: model.width %d, want >= 1", h)
	case out < 1:
		return nil, fmt.Errorf("initialize: %d outputs (loss %q, %d classes), want >= 1", out, spec.Train.Loss, k)
	case !(eps > 0) || math.IsInf(eps, 0):
		return nil, fmt.Errorf("initialize: model.init_scale %v, want a finite value > 0", eps)
	}
	rng := shapeRand(spec.ShapeSeed())
	net := NewNetwork(d, h, out)
	switch spec.Model.Init {
	case "gaussian":
		g := make([]float64, max(d, out))
		for j := 0; j < h; j++ {
			unitGaussian(rng, g[:d])
			for i := 0; i < d; i++ {
				net.W[i*h+j] = g[i]
			}
			if out == 1 {
				net.V[j] = 1
				if j%2 == 1 {
					net.V[j] = -1
				}
				continue
			}
			unitGaussian(rng, g[:out])
			for o := 0; o < out; o++ {
				net.V[o*h+j] = g[o]
			}
		}
	case "paper":
		for i := range net.W {
			net.W[i] = rng.NormFloat64()
		}
		for i := range net.V {
			net.V[i] = rng.NormFloat64()
		}
	default:
		return nil, fmt.Errorf("initialize: unknown model.init %q (valid: gaussian, paper)", spec.Model.Init)
	}
	for i := range net.W {
		net.W[i] *= eps
	}
	for i := range net.V {
		net.V[i] *= eps
	}
	return net, nil
}

// shapeRand turns a 64-bit seed into a PCG generator: the second PCG word is
// a splitmix64 scramble of the first, so one seed determines both.
func shapeRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, splitmix64(seed)))
}

// splitmix64 is one step of the SplitMix64 output function.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// unitGaussian fills g with a uniformly random unit vector (a normalised
// N(0, I) draw, redrawn in the probability-zero event that it is 0).
func unitGaussian(rng *rand.Rand, g []float64) {
	for {
		var ss float64
		for i := range g {
			g[i] = rng.NormFloat64()
			ss += g[i] * g[i]
		}
		if ss > 0 {
			nrm := math.Sqrt(ss)
			for i := range g {
				g[i] /= nrm
			}
			return
		}
	}
}
