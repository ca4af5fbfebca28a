package core

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestBuildDataset(t *testing.T) {
	if _, err := BuildDataset(DataSpec{Kind: "cifar"}, 1); err == nil ||
		!strings.Contains(err.Error(), `data.kind = "cifar"`) || !strings.Contains(err.Error(), "synthetic, mnist") {
		t.Errorf("unknown kind: err = %v", err)
	}
	if _, err := BuildDataset(DataSpec{Kind: "synthetic", Classes: 3, Dim: 3, PerClass: 2, NormSpread: 1}, 1); err == nil ||
		!strings.Contains(err.Error(), "data.dim") {
		t.Errorf("bad synthetic spec: err = %v", err)
	}

	// Synthetic: the statistics must meet the generator's guarantee.
	const noise = 0.8
	d, err := BuildDataset(DataSpec{Kind: "synthetic", Classes: 4, Dim: 12, PerClass: 30, Noise: noise, NormSpread: 5}, 3)
	if err != nil {
		t.Fatal(err)
	}
	rho2 := noise * noise / 3
	if d.K != 4 || !d.Stats.Separable || d.Stats.MuS < (1-rho2)/(1+rho2)-1e-12 || d.Stats.MuD < (1.0/3-rho2)/(1+rho2)-1e-12 ||
		d.Stats.ViolFrac != 0 || !slices.Equal(d.Stats.PerClass, []int{30, 30, 30, 30}) ||
		d.Stats.XMaxOverMin < 1 || d.Stats.XMaxOverMin > 5*math.Sqrt(1+rho2) || d.Stats.PCARaw != nil {
		t.Errorf("synthetic stats %+v", d.Stats)
	}

	// MNIST from a fake folder: K from the digits, PerClass from the labels.
	dir := writeFakeMNIST(t, []byte{3, 1, 3, 7, 1, 3}, []byte{1, 3})
	m, err := BuildDataset(DataSpec{Kind: "mnist", Digits: []int{7, 3, 1}, Path: dir}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if m.K != 3 || !slices.Equal(m.Stats.PerClass, []int{1, 3, 2}) {
		t.Errorf("mnist K=%d stats %+v", m.K, m.Stats)
	}
}
