package core

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// flowTestTheta integrates spec on data with method m directly (no Run) and
// returns theta = (W, V) and the trainer's counters.
func flowTestTheta(t *testing.T, spec Spec, data *Dataset) ([]float64, *trainer) {
	t.Helper()
	net, err := Initialize(spec, data.Train.D, data.K)
	if err != nil {
		t.Fatal(err)
	}
	fn, _ := lossFor(spec.Train.Loss)
	tr := newTrainer(net, fn, &data.Train, data.Train.N)
	if out := tr.train(context.Background(), spec.Train, 1); out.status != StatusOK {
		t.Fatalf("%s: %+v", spec.Train.Method, out)
	}
	return append(append([]float64(nil), net.W...), net.V...), tr
}

// flowRelDist is |a - b| / |b|.
func flowRelDist(a, b []float64) float64 {
	d := make([]float64, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	return vecNorm(d) / vecNorm(b)
}

// TestFlowMatchesGD checks the integrator against an independent one,
// small-step GD, at GF time 4:
//   - GD converges to the flow solution at first order: halving lr from
//     2e-4 to 1e-4 halves |theta_gd - theta_flow| (ratio in [1.4, 2.8]),
//     which could not happen if flow followed a different path;
//   - flow converges as Tol shrinks, with a global error of at most 100 Tol
//     (Tol is a per-step tolerance; the errors of ~10^3 steps add up);
//   - flow at Tol 1e-7 is 10x closer to the converged solution than GD at
//     lr 1e-4, with at least 5x fewer gradient evaluations.
func TestFlowMatchesGD(t *testing.T) {
	data := trainTestClusters(2, 10, 0, 6, 0.5, 31)
	const tm = 4
	for _, loss := range []string{"exp", "logistic"} {
		fl := trainTestSpec(loss, 2, 8, 0.05, 0.01, tm)
		fl.Train.Method, fl.Train.Tol = "flow", 1e-11
		ref, _ := flowTestTheta(t, fl, data)
		gd := trainTestSpec(loss, 2, 8, 0.05, 2e-4, tm)
		gd2, _ := flowTestTheta(t, gd, data)
		gd.Train.LR = 1e-4
		gd1, trGD := flowTestTheta(t, gd, data)
		e2, e1 := flowRelDist(gd2, ref), flowRelDist(gd1, ref)
		t.Logf("%s: |gd - flow|/|theta| = %.3g (lr 2e-4), %.3g (lr 1e-4), ratio %.3g", loss, e2, e1, e2/e1)
		if r := e2 / e1; r < 1.4 || r > 2.8 {
			t.Errorf("%s: GD error ratio %.3g when halving lr, want ~2", loss, r)
		}
		prev := math.Inf(1)
		for _, tol := range []float64{1e-5, 1e-6, 1e-7, 1e-8} {
			fl.Train.Tol = tol
			th, tr := flowTestTheta(t, fl, data)
			dev := flowRelDist(th, ref)
			t.Logf("%s tol %g: |flow - flow(1e-11)|/|theta| = %.3g with %d grad evals (GD lr 1e-4: %d)", loss, tol, dev, tr.gradEvals, trGD.gradEvals)
			if dev > 100*tol || dev >= prev {
				t.Errorf("%s tol %g: deviation %.3g (previous tolerance %.3g), want <= 100 tol and decreasing", loss, tol, dev, prev)
			}
			prev = dev
			if tol == 1e-7 && (10*dev > e1 || 5*tr.gradEvals > trGD.gradEvals) {
				t.Errorf("%s: flow at tol 1e-7: error %.3g with %d evals; GD lr 1e-4: %.3g with %d", loss, dev, tr.gradEvals, e1, trGD.gradEvals)
			}
			if tr.gfTime != tm {
				t.Errorf("%s tol %g: GF time %v", loss, tol, tr.gfTime)
			}
		}
	}
}

// TestFlowConservation: flow conserves |w_j|^2 - |v_j|^2 to about Tol,
// while GD at lr 0.01 drifts by O(lr), orders of magnitude more.
func TestFlowConservation(t *testing.T) {
	data := trainTestClusters(3, 8, 0, 7, 0.4, 32)
	gd := trainTestSpec("ce", 3, 9, 0.1, 0.01, 20)
	rg := run(context.Background(), gd, data, nil)
	fl := gd
	fl.Train.Method, fl.Train.Tol = "flow", 1e-8
	rf := run(context.Background(), fl, data, nil)
	if rg.Status != StatusOK || rf.Status != StatusOK {
		t.Fatalf("%s %s / %s %s", rg.Status, rg.Error, rf.Status, rf.Error)
	}
	t.Logf("drift: gd lr 0.01 %.3g, flow tol 1e-8 %.3g (%d accepted steps, %d grad evals)",
		rg.Final.ConservedDrift, rf.Final.ConservedDrift, rf.Steps, rf.GradEvals)
	if rf.Final.ConservedDrift > 1e-7 || rg.Final.ConservedDrift < 1000*rf.Final.ConservedDrift {
		t.Errorf("drift: flow %.3g, gd %.3g; want flow <= 1e-7 and gd >= 1000x flow", rf.Final.ConservedDrift, rg.Final.ConservedDrift)
	}
	if rf.GFTime != 20 || rf.GradEvals <= rf.Steps {
		t.Errorf("flow: GF time %v, %d steps, %d grad evals", rf.GFTime, rf.Steps, rf.GradEvals)
	}
}

// TestFlowNormalizedTime: normalised time reaches the same weights as
// plain flow at the same GF time (1e8, where the loss is ~1e-9), landing
// exactly on it, and spends fewer gradient evaluations on the late phase
// (GF time 10 to 1e8, where the loss gets tiny): at least 2x fewer. (The
// early, alignment phase costs both the same and dominates the total; see
// BENCHMARKS.md.)
func TestFlowNormalizedTime(t *testing.T) {
	data := trainTestClusters(2, 10, 0, 6, 0.5, 33)
	for _, loss := range []string{"exp", "logistic"} {
		evals := map[bool][]int64{}
		var thetas [2][]float64
		for k, normalized := range []bool{false, true} {
			for _, tm := range []float64{10, 1e8} {
				spec := trainTestSpec(loss, 2, 8, 0.01, 0.01, tm)
				spec.Train.Method, spec.Train.Tol, spec.Train.NormalizedTime = "flow", 1e-9, normalized
				th, tr := flowTestTheta(t, spec, data)
				if tr.gfTime != tm {
					t.Errorf("%s normalized=%v: GF time %v, want exactly %v", loss, normalized, tr.gfTime, tm)
				}
				evals[normalized] = append(evals[normalized], tr.gradEvals)
				thetas[k] = th
			}
		}
		dev := flowRelDist(thetas[1], thetas[0])
		latePlain := evals[false][1] - evals[false][0]
		lateNorm := evals[true][1] - evals[true][0]
		t.Logf("%s: |normalized - plain|/|theta| at GF time 1e8 = %.3g; grad evals plain %v, normalized %v; late phase %d vs %d",
			loss, dev, evals[false], evals[true], latePlain, lateNorm)
		if dev > 1e-6 {
			t.Errorf("%s: normalized time deviates by %.3g from plain flow", loss, dev)
		}
		if 2*lateNorm > latePlain {
			t.Errorf("%s: late phase took %d grad evals in normalized time, %d in plain", loss, lateNorm, latePlain)
		}
	}
}

// TestFlowTrajectory: flow checkpoints sit exactly on the schedule times
// (the same across eps), T* is among them, runs are bit-for-bit
// deterministic, and the trajectory shows the theory's story: after T* the
// feature residual against the predicted limit shrinks.
func TestFlowTrajectory(t *testing.T) {
	data := trainTestClusters(2, 10, 4, 6, 0.5, 34)
	if th, notes := ComputeTheory(data); th == nil {
		t.Fatalf("no theory for the test data: %v", notes)
	} else {
		data.Theory = th
	}
	spec := trainTestSpec("exp", 2, 8, 1e-4, 0.01, 500)
	spec.Train.Method, spec.Train.Tol, spec.Train.Checkpoints = "flow", 1e-7, 12
	res := Run(context.Background(), spec, data)
	if res.Status != StatusOK || res.SeparationTime == nil {
		t.Fatalf("%s %s, T* %v", res.Status, res.Error, res.SeparationTime)
	}
	if again := Run(context.Background(), spec, data); !reflect.DeepEqual(res, again) {
		t.Error("two identical flow runs differ")
	}
	want := checkpointTimes(12, 0.01, 500)
	var got []float64
	var resid []float64
	for _, cp := range res.Trajectory {
		if cp.Time == *res.SeparationTime && cp.Step == *res.SeparationStep {
			if !cp.Metrics.Separated {
				t.Error("T* checkpoint not separated")
			}
			if !slicesContainF(want, cp.Time) {
				continue
			}
		}
		got = append(got, cp.Time)
		if cp.Time > *res.SeparationTime {
			if cp.Metrics.ResidFeatures == nil {
				t.Fatalf("checkpoint at %v: no feature residual", cp.Time)
			}
			resid = append(resid, *cp.Metrics.ResidFeatures)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("checkpoint times %v, want %v", got, want)
	}
	t.Logf("T* = %v; feature residuals after T*: %.3g", *res.SeparationTime, resid)
	// Right after T* the residual may still rise while the neurons finish
	// aligning; over the late half of the trajectory it must fall.
	if len(resid) < 4 || resid[len(resid)-1] > resid[0]/3 {
		t.Errorf("feature residual after T* did not shrink by 3x: %v", resid)
	}
	for i := len(resid) / 2; i < len(resid); i++ {
		if resid[i] > resid[i-1] {
			t.Errorf("late feature residual grew from %.3g to %.3g", resid[i-1], resid[i])
		}
	}
	spec.Model.InitScale = 1e-2
	other := Run(context.Background(), spec, data)
	var otherTimes []float64
	for _, cp := range other.Trajectory {
		if slicesContainF(want, cp.Time) {
			otherTimes = append(otherTimes, cp.Time)
		}
	}
	if !reflect.DeepEqual(otherTimes, want) {
		t.Errorf("eps 1e-2: scheduled checkpoint times %v, want %v", otherTimes, want)
	}
}

func slicesContainF(s []float64, v float64) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestFlowCancel: a canceled context stops flow before its first step; a
// deadline stops a very long flow quickly with status timeout.
func TestFlowCancel(t *testing.T) {
	data := trainTestClusters(2, 300, 0, 40, 0.5, 35)
	spec := trainTestSpec("exp", 2, 60, 0.1, 0.01, 1e12)
	spec.Train.Method, spec.Train.Tol = "flow", 1e-12
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := run(ctx, spec, data, nil)
	if res.Status != StatusCanceled || res.Steps != 0 || !strings.Contains(res.Error, "canceled") {
		t.Errorf("canceled: %s after %d steps: %s", res.Status, res.Steps, res.Error)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	res = run(ctx, spec, data, nil)
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("timeout took %v", el)
	}
	if res.Status != StatusTimeout || res.Steps == 0 || res.Final.Loss == nil {
		t.Errorf("timeout: %s after %d steps: %s", res.Status, res.Steps, res.Error)
	}
}

// TestFlowValidate: flow needs a tolerance in (0, 1) and a finite time.
func TestFlowValidate(t *testing.T) {
	data := trainTestClusters(2, 3, 0, 4, 0.5, 36)
	for _, c := range []struct {
		tol, tm float64
		want    string
	}{{0, 1, "train.tol"}, {1, 1, "train.tol"}, {1e-6, math.Inf(1), "train.time"}, {1e-6, -1, "train.time"}} {
		spec := trainTestSpec("exp", 2, 4, 0.1, 0.01, c.tm)
		spec.Train.Method, spec.Train.Tol = "flow", c.tol
		if res := run(context.Background(), spec, data, nil); res.Status != StatusFailed || !strings.Contains(res.Error, c.want) {
			t.Errorf("tol %v time %v: %s %q, want failed naming %s", c.tol, c.tm, res.Status, res.Error, c.want)
		}
	}
}

// flowBenchCapture integrates spec on data and returns theta at each of
// times (GF times; for gd multiples of lr) and at the end, with the
// gradient evaluations used.
func flowBenchCapture(tb testing.TB, spec Spec, data *Dataset, times []float64) ([][]float64, int64) {
	net, err := Initialize(spec, data.Train.D, data.K)
	if err != nil {
		tb.Fatal(err)
	}
	fn, _ := lossFor(spec.Train.Loss)
	tr := newTrainer(net, fn, &data.Train, data.Train.N)
	var snaps [][]float64
	capture := func(t *trainer) (Metrics, []string) {
		snaps = append(snaps, append(append([]float64(nil), t.net.W...), t.net.V...))
		return Metrics{}, nil
	}
	var steps []int64
	if spec.Train.Method == "gd" {
		for _, tm := range times {
			steps = append(steps, int64(math.Round(tm/spec.Train.LR)))
		}
		tr.obs = newObserver(data.K, capture, steps, nil)
	} else {
		tr.obs = newObserver(data.K, capture, nil, times)
	}
	if out := tr.train(context.Background(), spec.Train, 1); out.status != StatusOK {
		tb.Fatalf("%+v", out)
	}
	// T* checkpoints are captured too: keep only the scheduled ones.
	var kept [][]float64
	j := 0
	for i, cp := range tr.obs.traj {
		if j < len(times) && cp.Time == times[j] {
			kept = append(kept, snaps[i])
			j++
		}
	}
	if len(kept) != len(times) {
		tb.Fatalf("captured %d of %d times", len(kept), len(times))
	}
	return append(kept, append(append([]float64(nil), net.W...), net.V...)), tr.gradEvals
}

// BenchmarkGradientFlow compares gd and flow on a binary synthetic problem
// (n=100, D=20, h=50, eps=1e-3, exp loss) at GF times 200 and 2000:
// gradient evaluations (gradevals/op) and the max over GF times
// {1, 10, T/10, T} of |theta - theta_ref|/|theta_ref| (maxreldev) against
// flow at Tol 1e-10. Run with -benchtime=1x (BENCHMARKS.md).
func BenchmarkGradientFlow(b *testing.B) {
	data, err := BuildDataset(DataSpec{Kind: "synthetic", Classes: 2, PerClass: 50, Dim: 20, Noise: 0.5, NormSpread: 2}, 7)
	if err != nil {
		b.Fatal(err)
	}
	for _, tm := range []float64{200, 2000} {
		times := []float64{1, 10, tm / 10}
		spec := func(method string, lr, tol float64, normalized bool) Spec {
			s := trainTestSpec("exp", 2, 50, 1e-3, lr, tm)
			s.Train.Method, s.Train.Tol, s.Train.NormalizedTime = method, tol, normalized
			return s
		}
		ref, refEvals := flowBenchCapture(b, spec("flow", 0.01, 1e-10, false), data, times)
		b.Logf("T=%v: reference (flow, tol 1e-10) used %d grad evals", tm, refEvals)
		for _, c := range []struct {
			name       string
			method     string
			lr, tol    float64
			normalized bool
		}{
			{"gd-lr0.01", "gd", 0.01, 0, false},
			{"gd-lr0.005", "gd", 0.005, 0, false},
			{"flow-tol1e-6", "flow", 0.01, 1e-6, false},
			{"flow-tol1e-7", "flow", 0.01, 1e-7, false},
			{"flow-tol1e-8", "flow", 0.01, 1e-8, false},
			{"flow-tol1e-6-normalized", "flow", 0.01, 1e-6, true},
			{"flow-tol1e-8-normalized", "flow", 0.01, 1e-8, true},
			{"dopri5-tol1e-6", "dopri5", 0.01, 1e-6, false},
			{"dopri5-tol1e-7", "dopri5", 0.01, 1e-7, false},
			{"dopri5-tol1e-8", "dopri5", 0.01, 1e-8, false},
		} {
			b.Run(fmt.Sprintf("T=%v/%s", tm, c.name), func(b *testing.B) {
				var snaps [][]float64
				var evals int64
				for i := 0; i < b.N; i++ {
					if c.method == "dopri5" {
						snaps, evals = flowBenchRK(b, spec("flow", c.lr, c.tol, false), data, times, dormandPrince)
					} else {
						snaps, evals = flowBenchCapture(b, spec(c.method, c.lr, c.tol, c.normalized), data, times)
					}
				}
				dev := 0.0
				for i := range ref {
					dev = math.Max(dev, flowRelDist(snaps[i], ref[i]))
				}
				b.ReportMetric(float64(evals), "gradevals/op")
				b.ReportMetric(dev, "maxreldev")
			})
		}
	}
}

// flowBenchRK is flowBenchCapture for plain flow with the pair rk.
func flowBenchRK(tb testing.TB, spec Spec, data *Dataset, times []float64, rk *rkTableau) ([][]float64, int64) {
	net, err := Initialize(spec, data.Train.D, data.K)
	if err != nil {
		tb.Fatal(err)
	}
	tr := newTrainer(net, expLoss, &data.Train, data.Train.N)
	var snaps [][]float64
	tr.obs = newObserver(data.K, func(t *trainer) (Metrics, []string) {
		snaps = append(snaps, append(append([]float64(nil), t.net.W...), t.net.V...))
		return Metrics{}, nil
	}, nil, times)
	ts := spec.Train
	if out := tr.runFlow(context.Background(), flowSettings{time: ts.Time, tol: ts.Tol, h0: ts.LR}, rk); out.status != StatusOK {
		tb.Fatalf("%+v", out)
	}
	var kept [][]float64
	j := 0
	for i, cp := range tr.obs.traj {
		if j < len(times) && cp.Time == times[j] {
			kept = append(kept, snaps[i])
			j++
		}
	}
	return append(kept, append(append([]float64(nil), net.W...), net.V...)), tr.gradEvals
}

// TestFlowDiverges: a start whose loss overflows stops flow at step 0 with
// status diverged and a Final without NaN or Inf.
func TestFlowDiverges(t *testing.T) {
	data := trainTestClusters(2, 10, 0, 6, 0.5, 37)
	data.Train.Y[0] = 1 // a misclassified point: some output is hugely wrong
	spec := trainTestSpec("exp", 2, 8, 1e4, 0.01, 1)
	spec.Train.Method, spec.Train.Tol = "flow", 1e-6
	res := run(context.Background(), spec, data, nil)
	if res.Status != StatusDiverged || !strings.Contains(res.Error, "loss not finite at step 0") || res.Steps != 0 {
		t.Errorf("%s %q after %d steps, want diverged at step 0", res.Status, res.Error, res.Steps)
	}
	trainCheckFinite(t, reflect.ValueOf(res.Final), "flow")
}
