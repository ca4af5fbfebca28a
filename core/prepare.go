package core

import "fmt"

// PrepareDataset builds the dataset a spec asks for (BuildDataset) and
// completes its statistics with the raw-data PCA errors, so that everything
// computed once per dataset is computed here and shared by every run that
// uses it.
func PrepareDataset(spec Spec) (*Dataset, error) {
	d, err := BuildDataset(spec.Data, spec.DataSeed())
	if err != nil {
		return nil, fmt.Errorf("building %s dataset: %w", spec.Data.Kind, err)
	}
	if plain, sq, ok := PCAError(d.Train.X, d.Train.N, d.Train.D, 3); ok {
		d.Stats.PCARaw, d.Stats.PCARawSq = Float(plain), Float(sq)
	}
	return d, nil
}
