package core

import "fmt"

// PrepareDataset builds the dataset a spec asks for (BuildDataset) and
// completes everything computed once per dataset and shared by every run
// that uses it: the raw-data PCA errors, the theory's max-margin
// predictions (ComputeTheory: d.Theory, with its notes appended to d.Notes)
// and Proposition 1's ratio.
//
// Stats.Prop1Ratio = X_max^2 / (X_min^2 mu_d mu_s) when Stats.Separable
// (nil otherwise), and Stats.Prop1Holds = ratio < 2K - 3. This is a
// multi-class condition: for K = 2 the bound 2K - 3 is 1 while the ratio is
// always >= 1 (X_max >= X_min and mu_s, mu_d <= 1), so it never holds there,
// which says nothing about binary runs.
func PrepareDataset(spec Spec) (*Dataset, error) {
	d, err := BuildDataset(spec.Data, spec.DataSeed())
	if err != nil {
		return nil, fmt.Errorf("building %s dataset: %w", spec.Data.Kind, err)
	}
	if plain, sq, err := PCAError(d.Train.X, d.Train.N, d.Train.D, 3); err == nil {
		d.Stats.PCARaw, d.Stats.PCARawSq = Float(plain), Float(sq)
	} else {
		d.Notes = append(d.Notes, "pca_raw: "+err.Error())
	}
	th, notes := ComputeTheory(d)
	d.Theory = th
	d.Notes = append(d.Notes, notes...)
	if d.Stats.Separable { // not when points were left out of mu_s, mu_d
		d.Stats.Prop1Ratio, d.Stats.Prop1Holds = prop1(d.Stats, d.K)
	}
	return d, nil
}

// prop1 returns Proposition 1's ratio X_max^2 / (X_min^2 mu_d mu_s) and
// whether it is below 2K - 3; the ratio is nil when mu_s or mu_d is not
// positive (or it is not finite).
func prop1(st DataStats, k int) (*float64, bool) {
	if !(st.MuS > 0 && st.MuD > 0 && st.XMaxOverMin > 0) {
		return nil, false
	}
	r := Float(st.XMaxOverMin * st.XMaxOverMin / (st.MuD * st.MuS))
	if r == nil {
		return nil, false
	}
	return r, *r < float64(2*k-3)
}
