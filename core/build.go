package core

import "fmt"

// BuildDataset builds the dataset spec describes (Kind "synthetic", "mnist"
// or "file"; file data use no randomness) from seed, with K set by the builder (Classes, or the number of
// digits), and fills its training-split Stats with ComputeStats (appending
// to Notes what it says about left-out points and undefined statistics). The raw-data
// PCA fields of Stats are left nil (PrepareDataset fills them).
func BuildDataset(spec DataSpec, seed uint64) (*Dataset, error) {
	var (
		d   *Dataset
		err error
	)
	switch spec.Kind {
	case "synthetic":
		d, err = Synthetic(spec, seed)
	case "mnist":
		d, err = MNIST(spec, seed)
	case "file":
		d, err = FileDataset(spec)
	default:
		return nil, fmt.Errorf("data.kind = %q: unknown kind (valid: synthetic, mnist, file)", spec.Kind)
	}
	if err != nil {
		return nil, err
	}
	st, notes := computeStats(&d.Train, d.K)
	d.Stats = st
	d.Notes = append(d.Notes, notes...)
	if sp, note := sparseForTraining(&d.Train); sp != nil {
		d.Train.sparse = sp
		d.Notes = append(d.Notes, note)
	}
	return d, nil
}
