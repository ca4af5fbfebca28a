// Package core is the science of ncsweep: datasets, the two-layer ReLU
// network, losses, initializations, integrators and the Neural Collapse
// measurements of Min, Zhu and Vidal (NeurIPS 2025), as specified in
// SCIENCE.md.
//
// Everything here is pure and deterministic: a Spec and a Dataset fully
// determine a Result, bit for bit. The package starts no goroutines, keeps no
// package-level mutable state and touches no files except the dataset
// readers. It knows nothing about sweeps, Parquet or the command line.
//
// Conventions used throughout:
//   - matrices are flat row-major []float64 with explicit shapes;
//   - X is n x D (one training point per row);
//   - W is D x H (column j is the input weight w_j of neuron j);
//   - V is Out x H (column j is the output weight v_j); Out = 1 for the
//     binary losses (exp, logistic) and Out = K for cross-entropy;
//   - labels are class indices 0..K-1; for binary runs class 0 is y = +1 and
//     class 1 is y = -1;
//   - optional measurements are *float64: nil means "not measured or
//     undefined", never NaN.
package core
