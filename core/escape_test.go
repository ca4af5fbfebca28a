package core

import (
	"context"
	"math"
	"testing"
)

// TestEscapeTimeGrowsLikeLogInverseEps checks the law the theory does
// predict for the small-initialization phase: the weights stay small, and
// the loss near its initial value, for a GF time of order log(1/eps). The
// escape times at eps = 1e-2, 1e-4, 1e-6 must increase by about equal steps
// (linear in log(1/eps)) while T* stays put.
func TestEscapeTimeGrowsLikeLogInverseEps(t *testing.T) {
	spec := Spec{
		Seed:  3,
		Data:  DataSpec{Kind: "synthetic", Classes: 2, PerClass: 30, Dim: 12, Noise: 0.9, NormSpread: 2},
		Model: ModelSpec{Width: 16, Init: "gaussian"},
		Train: TrainSpec{Loss: "exp", Method: "flow", LR: 1e-4, Time: 2, Tol: 1e-7},
	}
	data, err := BuildDataset(spec.Data, spec.DataSeed())
	if err != nil {
		t.Fatal(err)
	}
	var esc, tstar []float64
	for _, eps := range []float64{1e-2, 1e-4, 1e-6} {
		spec.Model.InitScale = eps
		res := Run(context.Background(), spec, data)
		if res.Status != StatusOK || res.EscapeTime == nil || res.SeparationTime == nil {
			t.Fatalf("eps %g: status %s (%s), escape %v, T* %v", eps, res.Status, res.Error, res.EscapeTime, res.SeparationTime)
		}
		esc = append(esc, *res.EscapeTime)
		tstar = append(tstar, *res.SeparationTime)
	}
	d1, d2 := esc[1]-esc[0], esc[2]-esc[1]
	t.Logf("escape times %v (increments %.4g, %.4g per 2 decades); T* %v", esc, d1, d2, tstar)
	if !(d1 > 0 && d2 > 0) {
		t.Fatalf("escape time does not grow as eps shrinks: %v", esc)
	}
	if r := d2 / d1; r < 0.8 || r > 1.25 {
		t.Errorf("escape time not linear in log(1/eps): increments %.4g then %.4g (ratio %.3f)", d1, d2, r)
	}
	if spread := math.Abs(tstar[2]-tstar[1]) / tstar[1]; spread > 0.05 {
		t.Errorf("T* still moves between eps 1e-4 and 1e-6: %v", tstar)
	}
	if !(tstar[2] < esc[2]/10) {
		t.Errorf("T* %g is not well inside the small-weight phase (escape %g)", tstar[2], esc[2])
	}
}

// TestEscapeTimeAtStepResolution checks gd's escape time on its own
// definition: the loss at the step before is above half the initial loss,
// the loss at the escape step is not.
func TestEscapeTimeAtStepResolution(t *testing.T) {
	spec := Spec{
		Seed:  5,
		Data:  DataSpec{Kind: "synthetic", Classes: 2, PerClass: 10, Dim: 6, Noise: 0.5, NormSpread: 1.5},
		Model: ModelSpec{Width: 6, Init: "gaussian", InitScale: 1e-3},
		Train: TrainSpec{Loss: "logistic", Method: "gd", LR: 1e-3, Time: 1},
	}
	data, err := BuildDataset(spec.Data, spec.DataSeed())
	if err != nil {
		t.Fatal(err)
	}
	res := Run(context.Background(), spec, data)
	if res.Status != StatusOK || res.EscapeTime == nil {
		t.Fatalf("status %s, escape %v", res.Status, res.EscapeTime)
	}
	k := int64(math.Round(*res.EscapeTime / spec.Train.LR))
	loss0 := lossAfter(t, spec, data, 0)
	before, at := lossAfter(t, spec, data, k-1), lossAfter(t, spec, data, k)
	if !(before > loss0/2 && at <= loss0/2) {
		t.Errorf("escape at step %d: loss %g before and %g at, initial %g", k, before, at, loss0)
	}
}

// lossAfter trains for steps gd steps and returns the summed training loss.
func lossAfter(t *testing.T, spec Spec, data *Dataset, steps int64) float64 {
	t.Helper()
	spec.Train.Time = float64(steps) * spec.Train.LR
	if steps == 0 {
		spec.Train.Time = 0
	}
	res := run(context.Background(), spec, data, nil)
	if res.Final.Loss == nil {
		t.Fatalf("no loss after %d steps: %s %s", steps, res.Status, res.Error)
	}
	return *res.Final.Loss
}

// TestPredictNoClassOnTies checks the prediction rule: an output of exactly
// 0 (one output) or a tie for the largest output (K outputs) names no class,
// so that a dead network is never scored as right on one class.
func TestPredictNoClassOnTies(t *testing.T) {
	cases := []struct {
		f    []float64
		want int
	}{
		{[]float64{0.5}, 0}, {[]float64{-0.5}, 1}, {[]float64{0}, -1},
		{[]float64{1, 3, 2}, 1}, {[]float64{3, 3, 2}, -1}, {[]float64{0, 0, 0}, -1}, {[]float64{2, 1, 2, 5}, 3},
		{[]float64{math.NaN(), 1}, -1}, // non-finite outputs name no class
	}
	for _, c := range cases {
		if got := predict(c.f); got != c.want {
			t.Errorf("predict(%v) = %d, want %d", c.f, got, c.want)
		}
	}
}
