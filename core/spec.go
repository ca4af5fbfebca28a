package core

import (
	"fmt"
	"hash/fnv"
)

// Spec is the fully resolved configuration of one training run: everything
// core needs, and nothing about where the run sits in a sweep.
type Spec struct {
	Seed  int64
	Data  DataSpec
	Model ModelSpec
	Train TrainSpec
}

// DataSpec selects and shapes the training data.
type DataSpec struct {
	// Kind is "synthetic" (SCIENCE.md section 1, guaranteed orthogonally
	// separable), "mnist" (IDX files) or "file" (a CSV or Parquet table of
	// features and labels, e.g. embeddings from a pretrained network).
	Kind string
	// Classes is K. For mnist it equals len(Digits).
	Classes int
	// PerClass is the number of training points per class. For mnist, 0
	// means every available training image of the chosen digits.
	PerClass int
	// TestPerClass is the number of test points per class (synthetic: drawn
	// from the same distribution; mnist: from the test files, 0 = all).
	TestPerClass int
	// Dim is D for synthetic data (must exceed Classes); mnist uses 784.
	Dim int
	// Noise is rho as a fraction of the separability bound sqrt(1/(K-1)),
	// in [0, 1). Synthetic only.
	Noise float64
	// NormSpread >= 1: each synthetic point is rescaled by a factor drawn
	// log-uniformly in [1, NormSpread], so X_max/X_min <= NormSpread.
	NormSpread float64
	// Digits are the MNIST digits used as classes, in class order.
	Digits []int
	// Path is the folder holding the four MNIST IDX files (optionally
	// gzipped). Empty means the GoMNIST module's data folder.
	Path string
	// Center subtracts the mean training image from train and test data.
	Center bool
	// TestPath is, for kind "file", an optional second table holding the
	// test split (same columns). Path is the training table.
	TestPath string
	// LabelColumn names the label column of a "file" table (integer
	// labels 0..K-1); every other column is a feature.
	LabelColumn string
}

// ModelSpec is the network and its initialization.
type ModelSpec struct {
	// Width is the number of hidden neurons h (>= K).
	Width int
	// Init is "gaussian" (balanced, Assumption 2: unit-norm Gaussian
	// directions with |w_j0| = |v_j0| = 1), "paper" (every entry of W and V
	// iid N(0, InitScale^2), not balanced, as in the paper's MNIST run),
	// "semi-local" (neuron shapes drawn from the pairs (x_i, Etilde y_i),
	// balanced: Assumption 4's practical scheme) or "file" (W0 and V0 read
	// from InitW and InitV, then scaled by InitScale).
	Init string
	// InitScale is eps: the initial weights are InitScale times a shape that
	// does not depend on InitScale.
	InitScale float64
	// InitW and InitV are the files (CSV or .npy) holding the initial shape
	// W0 (D x H) and V0 (Out x H) for Init "file".
	InitW, InitV string
}

// TrainSpec is the loss and the integrator.
type TrainSpec struct {
	// Loss is "exp" or "logistic" (binary, scalar output) or "ce"
	// (softmax cross-entropy, K outputs).
	Loss string
	// Method is "gd" (full-batch gradient descent on the summed loss, GF time
	// = steps * LR), "sgd" (mini-batch SGD on the batch-mean loss with a
	// deterministic shuffle per epoch, GF time = steps * LR / n) or "flow"
	// (an adaptive integrator of gradient flow with error control, to GF
	// time Time with tolerance Tol).
	Method string
	// LR is the step size.
	LR float64
	// Time is the gradient-flow time horizon for gd: steps = round(Time/LR).
	Time float64
	// Epochs and Batch drive sgd.
	Epochs int
	Batch  int
	// Tol is the flow integrator's local error tolerance (relative to
	// |theta|).
	Tol float64
	// NormalizedTime makes flow integrate d theta/ds = -grad L / L, which
	// traces the same path as gradient flow but much faster once the loss
	// is tiny; GF time is still reported.
	NormalizedTime bool
	// Checkpoints is the number of log-spaced trajectory checkpoints in GF
	// time (0: none; the separation time T* is always a checkpoint when
	// there are any).
	Checkpoints int
}

// Outputs is the network's output dimension: 1 for the binary losses, K for
// cross-entropy.
func (s Spec) Outputs() int {
	if s.Train.Loss == "ce" {
		return s.Data.Classes
	}
	return 1
}

// DataKey identifies the dataset a run uses: runs with equal DataKeys share
// one read-only Dataset.
func (s Spec) DataKey() string {
	d := s.Data
	return fmt.Sprintf("seed=%d kind=%s K=%d n=%d nt=%d D=%d noise=%v spread=%v digits=%v path=%q center=%v test=%q label=%q",
		s.Seed, d.Kind, d.Classes, d.PerClass, d.TestPerClass, d.Dim, d.Noise, d.NormSpread, d.Digits, d.Path, d.Center, d.TestPath, d.LabelColumn)
}

// DataSeed seeds the dataset's randomness: it depends on the seed and the
// data keys only.
func (s Spec) DataSeed() uint64 { return hashSeed("data", s.DataKey()) }

// ShapeSeed seeds the initial shape (w_j0, v_j0): it depends on the seed, the
// keys that make the training data, the width, the init kind and the output
// dimension, never on InitScale (runs that differ only in eps start from the
// same shape) nor on the test split (TestPerClass, TestPath), which does not
// touch training.
func (s Spec) ShapeSeed() uint64 {
	train := s
	train.Data.TestPerClass, train.Data.TestPath = 0, ""
	return hashSeed("shape", fmt.Sprintf("%s h=%d init=%s out=%d w0=%q v0=%q", train.DataKey(), s.Model.Width, s.Model.Init, s.Outputs(), s.Model.InitW, s.Model.InitV))
}

// TrainSeed seeds the integrator's own randomness (the SGD shuffle).
func (s Spec) TrainSeed() uint64 {
	return hashSeed("train", fmt.Sprintf("%d", s.Seed))
}

func hashSeed(domain, key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(domain))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return h.Sum64()
}
