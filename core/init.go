package core

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Initialize returns the initial network for spec on data with input
// dimension d and k classes, for the initializations that do not need the
// training data ("gaussian", "paper" and "file"); "semi-local" draws from
// the training points and needs InitializeFor, which handles every kind.
// For the other kinds Initialize(spec, d, k) equals InitializeFor on any
// dataset of that dimension and class count.
func Initialize(spec Spec, d, k int) (*Network, error) {
	return initialize(spec, d, k, nil)
}

// InitializeFor returns the initial network for spec on data: H =
// spec.Model.Width hidden neurons, D = data.Train.D inputs and Out =
// spec.Outputs() outputs. The weights are spec.Model.InitScale (eps) times a
// shape (w_j0, v_j0) that does not depend on eps: random shapes come from a
// PCG generator seeded by spec.ShapeSeed(), so runs that differ only in eps
// start from exactly proportional weights.
//
// Shapes (spec.Model.Init):
//   - "gaussian": balanced, as in Assumption 2. w_j0 = g/|g| with
//     g ~ N(0, I_D). For one output v_j0 = +1 for even j and -1 for odd j,
//     so both signs occur whenever H >= 2 (N_+ and N_- of Assumption 3 are
//     never empty; the random directions w_j0 supply the randomness). For K
//     outputs v_j0 is a normalised N(0, I_K) direction. |w_j0| = |v_j0| = 1.
//   - "paper": every entry of W and V iid N(0, 1), not balanced; times eps
//     this is the paper's N(0, eps^2) initialization.
//   - "semi-local": Assumption 4's practical scheme, balanced. Neuron j
//     belongs to class c = j mod K (round-robin, so every class gets
//     floor(H/K) or ceil(H/K) neurons and none is left out when H >= K); it
//     copies a training point i of class c drawn uniformly from the class's
//     non-zero points: w_j0 = x_i/|x_i| and v_j0 = etilde_c, the unit column
//     c of Etilde = sqrt(K/(K-1)) (I - 11^T/K). With one output (binary
//     losses) v_j0 = +1 for class 0 (y = +1) and -1 for class 1. On
//     orthogonally separable data each w_j0 is then activated by exactly its
//     own class, so the three conditions of Assumption 4 hold with
//     N_c = {j : j mod K = c}.
//   - "file": W0 (D x H) from spec.Model.InitW and V0 (Out x H) from
//     spec.Model.InitV, CSV or .npy (ReadMatrixFile). The files hold the
//     shape, which is multiplied by eps like every other shape: set
//     init_scale = 1 to replay an initialization exactly (for example one
//     saved from PyTorch, whose fc1.weight is H x D: save its transpose).
//     Entries must be finite; nothing is checked about balance.
//
// Draw order (part of the shape's definition): gaussian draws w_j0 then
// v_j0 neuron by neuron; paper draws W then V in row-major order;
// semi-local draws one point index per neuron in neuron order.
func InitializeFor(spec Spec, data *Dataset) (*Network, error) {
	if data == nil {
		return nil, fmt.Errorf("initialize: no dataset")
	}
	return initialize(spec, data.Train.D, data.K, &data.Train)
}

// initialize builds the network; train is nil when the caller has no data
// (then only the data-free shapes are available).
func initialize(spec Spec, d, k int, train *Split) (*Network, error) {
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
	net := NewNetwork(d, h, out)
	switch spec.Model.Init {
	case "gaussian":
		rng := shapeRand(spec.ShapeSeed())
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
		rng := shapeRand(spec.ShapeSeed())
		for i := range net.W {
			net.W[i] = rng.NormFloat64()
		}
		for i := range net.V {
			net.V[i] = rng.NormFloat64()
		}
	case "semi-local":
		if train == nil {
			return nil, fmt.Errorf("initialize: model.init = \"semi-local\" draws from the training data: use InitializeFor")
		}
		if err := semiLocalShape(net, train, k, spec.ShapeSeed()); err != nil {
			return nil, err
		}
	case "file":
		if err := fileShape(net, spec.Model.InitW, spec.Model.InitV); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("initialize: unknown model.init %q (valid: gaussian, paper, semi-local, file)", spec.Model.Init)
	}
	for i := range net.W {
		net.W[i] *= eps
	}
	for i := range net.V {
		net.V[i] *= eps
	}
	return net, nil
}

// semiLocalShape fills net with the semi-local shape (see InitializeFor)
// drawn from the training split train of k classes.
func semiLocalShape(net *Network, train *Split, k int, seed uint64) error {
	d, h, out := net.D, net.H, net.Out
	if train.D != d || len(train.X) != train.N*train.D || len(train.Y) != train.N {
		return fmt.Errorf("initialize: semi-local: training split is %d x %d with %d values and %d labels, network input %d",
			train.N, train.D, len(train.X), len(train.Y), d)
	}
	if k < 2 {
		return fmt.Errorf("initialize: semi-local: %d classes, want >= 2", k)
	}
	if out != 1 && out != k {
		return fmt.Errorf("initialize: semi-local: %d outputs for %d classes, want 1 (binary) or %d", out, k, k)
	}
	if out == 1 && k != 2 {
		return fmt.Errorf("initialize: semi-local: one output needs 2 classes, got %d", k)
	}
	// members[c] lists the non-zero training points of class c, and norms
	// their lengths, in dataset order.
	members := make([][]int, k)
	norms := make([]float64, train.N)
	for i, c := range train.Y {
		if c < 0 || c >= k {
			return fmt.Errorf("initialize: semi-local: label %d of training point %d is outside 0..%d", c, i, k-1)
		}
		if norms[i] = rowNorm(train.Row(i)); norms[i] > 0 && !math.IsInf(norms[i], 0) {
			members[c] = append(members[c], i)
		}
	}
	for c, m := range members {
		if len(m) == 0 && c < h {
			return fmt.Errorf("initialize: semi-local: class %d has no non-zero training point to draw neurons from", c)
		}
	}
	// etilde_c = sqrt(K/(K-1)) (e_c - 1/K): diagonal a, off-diagonal b.
	kf := float64(k)
	a := math.Sqrt(kf/(kf-1)) * (1 - 1/kf)
	b := -math.Sqrt(kf/(kf-1)) / kf
	rng := shapeRand(seed)
	for j := 0; j < h; j++ {
		c := j % k
		i := members[c][rng.IntN(len(members[c]))]
		x, n := train.Row(i), norms[i]
		for p := 0; p < d; p++ {
			net.W[p*h+j] = x[p] / n
		}
		if out == 1 {
			net.V[j] = binarySign(c)
			continue
		}
		for o := 0; o < out; o++ {
			net.V[o*h+j] = b
		}
		net.V[c*h+j] = a
	}
	return nil
}

// fileShape fills net with W0 and V0 read from the files wPath and vPath,
// checking their shapes against net and that every entry is finite.
func fileShape(net *Network, wPath, vPath string) error {
	for _, f := range []struct {
		key, name, path, rowsWhat string
		rows                      int
		dst                       []float64
		hint                      string
	}{
		{"model.init_w", "W0", wPath, "input dimension", net.D, net.W, "PyTorch's fc1.weight is width x D: save its transpose"},
		{"model.init_v", "V0", vPath, "outputs", net.Out, net.V, "V0 is outputs x width, like PyTorch's fc2.weight"},
	} {
		if f.path == "" {
			return fmt.Errorf("initialize: model.init = \"file\" needs %s (the %s file)", f.key, f.name)
		}
		m, err := ReadMatrixFile(f.path)
		if err != nil {
			return fmt.Errorf("initialize: %s: %w", f.key, err)
		}
		if m.Rows != f.rows || m.Cols != net.H {
			msg := fmt.Sprintf("initialize: %s %s: %s must be %s x model.width = %d x %d, got %d x %d",
				f.key, f.path, f.name, f.rowsWhat, f.rows, net.H, m.Rows, m.Cols)
			if m.Rows == net.H && m.Cols == f.rows {
				msg += " (transposed? " + f.hint + ")"
			}
			return errors.New(msg)
		}
		for idx, v := range m.Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("initialize: %s %s: %s[%d][%d] = %v, want finite values", f.key, f.path, f.name, idx/m.Cols, idx%m.Cols, v)
			}
		}
		copy(f.dst, m.Data)
	}
	return nil
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
