package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ncsweep/ncsweep/core"
	"github.com/ncsweep/ncsweep/sweep"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

func fp(x float64) *float64 { return &x }
func ip(x int64) *int64     { return &x }
func bp(x bool) *bool       { return &x }

// sampleRows returns rows that exercise every kind of value: nil and &0.0
// pointers, nil, empty and non-empty lists, a zero time, negative numbers.
func sampleRows() []Row {
	t0 := time.Date(2026, 12, 3, 16, 1, 2, 123456000, time.UTC)
	full := Row{
		RunID: "a1", Sweep: "eps", SpecHash: "h", Status: "ok", Notes: "x; y",
		StartedAt: t0, DurationS: 1.5, Host: "node1", Shard: "0/2", RunIndex: 7,
		Seed: -3, DataKind: "mnist", DataClasses: 3, DataPerClass: 100, DataTestPerClass: 10,
		DataDim: 784, DataNoise: 0.25, DataNormSpread: 2, DataDigits: "0,1,2", DataPath: "/d",
		DataCenter: true, ModelWidth: 64, ModelInit: "paper", ModelInitScale: 1e-6,
		TrainLoss: "ce", TrainMethod: "gd", TrainLR: 0.01, TrainTime: 2000, TrainEpochs: 0, TrainBatch: 0,
		NTrain: 300, NTest: 30, MuS: 0.1, MuD: 0.2, SameViolFrac: 0, CrossViolFrac: 0.01, ViolFrac: 0.005,
		Separable: true, XMaxOverMin: 3, PCARaw: fp(0.5), PCARawSq: fp(0.25),
		Steps: 200000, GradEvals: 200000, GFTime: 2000, Loss: fp(1e-300), TrainAcc: fp(1), TestAcc: fp(0),
		NC1: fp(0), NC1Norm: fp(0.1), NC1Papyan: fp(2), NC2: fp(0.3), NC3: fp(0.4), NC3Paper: fp(0.5), NC4: fp(1),
		ZeroFeatures: 2, MinCosPerClass: []float64{0.9, -0.5, 0.7}, MeanCosPerClass: []float64{0.95, 0, 0.8},
		MinCos: fp(-0.5), MaxCosMeans: fp(0.5), DeadFrac: 0.125, ThetaNorm: 12.5, BalanceMax: 1e-9,
		ConservedDrift: 0, PCAFeat: fp(0), PCAFeatSq: fp(0),
		DataTestPath: "/t.csv", DataLabelColumn: "label", ModelInitW: "/w.npy", ModelInitV: "/v.csv",
		TrainTol: 1e-7, TrainNormalizedTime: true, TrainCheckpoints: 40,
		GammaPerClass: []float64{0.25, 0.5, 0.125}, SPerClass: []float64{0.3, 0.2, 0.4}, MinGamma: fp(0.125),
		Prop1Ratio: fp(2.5), Prop1Holds: true, Assumption3: nil, Assumption4: bp(true), A4GroupSizes: []int64{3, 0, 5},
		SeparationTime: fp(12.75), SeparationStep: ip(1275), EscapeTime: fp(31.5), Separated: true, GroupSizes: []int64{20, 22, 22},
		ResidFeatures: fp(0.01), ResidV: fp(0), CosWUMin: fp(-0.25), CosWUMean: fp(0.875),
	}
	failed := Row{RunID: "b2", Sweep: "eps", Status: "failed", Error: "panic: boom", Shard: "1/2",
		MinCosPerClass: []float64{}, MeanCosPerClass: nil, A4GroupSizes: []int64{}, Assumption3: bp(false)}
	failed.StartedAt = time.Unix(0, 0).UTC() // the epoch itself
	zeroTime := full
	zeroTime.RunID = "c3"
	zeroTime.StartedAt = time.Time{}
	zeroTime.NC1 = nil
	zeroTime.Assumption3, zeroTime.Assumption4 = bp(true), nil
	zeroTime.SeparationTime, zeroTime.SeparationStep, zeroTime.EscapeTime = nil, nil, nil
	zeroTime.GammaPerClass, zeroTime.SPerClass, zeroTime.MinGamma = nil, nil, nil
	return []Row{full, failed, zeroTime}
}

// equalRows compares field by field; times compare as instants.
func equalRows(t *testing.T, got, want []Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.StartedAt.Equal(w.StartedAt) {
			t.Errorf("row %d started_at = %v, want %v", i, g.StartedAt, w.StartedAt)
		}
		g.StartedAt, w.StartedAt = time.Time{}, time.Time{}
		if !reflect.DeepEqual(g, w) {
			gv, wv := reflect.ValueOf(g), reflect.ValueOf(w)
			for j := 0; j < gv.NumField(); j++ {
				if !reflect.DeepEqual(gv.Field(j).Interface(), wv.Field(j).Interface()) {
					t.Errorf("row %d field %s = %#v, want %#v", i, gv.Type().Field(j).Name,
						show(gv.Field(j)), show(wv.Field(j)))
				}
			}
		}
	}
}

func show(v reflect.Value) any {
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		return v.Elem().Interface()
	}
	return v.Interface()
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	want := sampleRows()
	w, err := NewWriter(dir, WriterOptions{Prefix: "t"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range want {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRuns(dir)
	if err != nil {
		t.Fatal(err)
	}
	equalRows(t, got, want)
	// Spelled out, the cases DeepEqual could blur.
	if got[0].NC1 == nil || *got[0].NC1 != 0 {
		t.Errorf("&0.0 came back as %v", got[0].NC1)
	}
	if got[2].NC1 != nil || got[1].Loss != nil {
		t.Errorf("nil came back non-nil: %v %v", got[2].NC1, got[1].Loss)
	}
	if got[1].MinCosPerClass == nil || len(got[1].MinCosPerClass) != 0 {
		t.Errorf("empty list came back as %#v", got[1].MinCosPerClass)
	}
	if got[1].MeanCosPerClass != nil {
		t.Errorf("nil list came back as %#v", got[1].MeanCosPerClass)
	}
	// The runs/2 columns: nullable bools and ints, int lists.
	if got[0].Assumption3 != nil || got[0].Assumption4 == nil || !*got[0].Assumption4 {
		t.Errorf("assumption3/4 = %v/%v, want null/true", got[0].Assumption3, got[0].Assumption4)
	}
	if got[1].Assumption3 == nil || *got[1].Assumption3 || got[1].Assumption4 != nil {
		t.Errorf("false came back as %v, null as %v", got[1].Assumption3, got[1].Assumption4)
	}
	if got[2].SeparationTime != nil || got[2].SeparationStep != nil || got[2].GammaPerClass != nil {
		t.Errorf("null T*/step/gamma came back as %v %v %v", got[2].SeparationTime, got[2].SeparationStep, got[2].GammaPerClass)
	}
	if got[0].SeparationStep == nil || *got[0].SeparationStep != 1275 || !reflect.DeepEqual(got[0].A4GroupSizes, []int64{3, 0, 5}) {
		t.Errorf("separation_step %v a4_group_sizes %v", got[0].SeparationStep, got[0].A4GroupSizes)
	}
	if got[1].A4GroupSizes == nil || len(got[1].A4GroupSizes) != 0 || got[1].GroupSizes != nil {
		t.Errorf("empty int list %#v, nil int list %#v", got[1].A4GroupSizes, got[1].GroupSizes)
	}

	ok, err := OKRunIDs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ok, map[string]bool{"a1": true, "c3": true}) {
		t.Errorf("OKRunIDs = %v", ok)
	}
}

func TestNewRow(t *testing.T) {
	run := sweep.RunConfig{ID: "r1", Index: 4, Sweep: "s", Spec: core.Spec{
		Seed:  9,
		Data:  core.DataSpec{Kind: "mnist", Classes: 3, PerClass: 5, Dim: 784, Digits: []int{0, 3, 7}, Center: true},
		Model: core.ModelSpec{Width: 32, Init: "paper", InitScale: 0.001},
		Train: core.TrainSpec{Loss: "ce", Method: "sgd", LR: 0.1, Epochs: 3, Batch: 8, Tol: 1e-6, NormalizedTime: true, Checkpoints: 12},
	}}
	run.Spec.Data.TestPath, run.Spec.Data.LabelColumn = "t.parquet", "y"
	run.Spec.Model.InitW, run.Spec.Model.InitV = "w.csv", "v.npy"
	stats := core.DataStats{MuS: 0.1, MuD: 0.2, Separable: true, XMaxOverMin: 2, PCARaw: fp(0.3), Prop1Ratio: fp(1.5), Prop1Holds: true}
	data := &core.Dataset{K: 3, Train: core.Split{N: 15}, Test: core.Split{N: 6}, Stats: stats,
		Theory: &core.Theory{Gamma: []float64{0.5, 0.25, 1}, S: []float64{0.1, 0.2, 0.3}}}
	res := core.Result{Status: core.StatusOK, Notes: []string{"a", "b"}, Steps: 6, GradEvals: 6, GFTime: 0.6,
		Final: core.Metrics{NC1: fp(0), MinCosPerClass: []float64{0.5, -0.25, 0.75}, ThetaNorm: 3,
			Separated: true, GroupSizes: []int{10, 12, 10}, ResidFeatures: fp(0.5), CosWUMin: fp(0.25)},
		Init:           core.InitChecks{A4: bp(false)},
		SeparationTime: fp(0.25), SeparationStep: ip(3), EscapeTime: fp(0.75),
	}
	start := time.Date(2026, 1, 2, 3, 4, 5, 6789, time.FixedZone("X", 3600))
	meta := RunMeta{SpecHash: "sh", Host: "h", Shard: "1/4", StartedAt: start, Duration: 1500 * time.Millisecond}

	r := NewRow(run, data, res, meta)
	if r.Status != "ok" || r.Error != "" {
		t.Fatalf("status %q error %q", r.Status, r.Error)
	}
	if r.DataDigits != "0,3,7" || r.Notes != "a; b" || r.DurationS != 1.5 || r.RunIndex != 4 || r.NTrain != 15 || r.NTest != 6 {
		t.Errorf("digits %q notes %q duration %v index %d n %d/%d", r.DataDigits, r.Notes, r.DurationS, r.RunIndex, r.NTrain, r.NTest)
	}
	if r.StartedAt.Location() != time.UTC || !r.StartedAt.Equal(start.Truncate(time.Microsecond)) || r.StartedAt.Nanosecond() != 6000 {
		t.Errorf("started_at %v", r.StartedAt)
	}
	if r.MinCos == nil || *r.MinCos != -0.25 {
		t.Errorf("min_cos = %v, want -0.25", r.MinCos)
	}
	if r.NC1 == nil || *r.NC1 != 0 || r.NC2 != nil || r.PCARawSq != nil || *r.PCARaw != 0.3 {
		t.Errorf("pointers: nc1 %v nc2 %v pca_raw %v pca_raw_sq %v", r.NC1, r.NC2, r.PCARaw, r.PCARawSq)
	}
	if r.DataTestPath != "t.parquet" || r.DataLabelColumn != "y" || r.ModelInitW != "w.csv" || r.ModelInitV != "v.npy" ||
		r.TrainTol != 1e-6 || !r.TrainNormalizedTime || r.TrainCheckpoints != 12 {
		t.Errorf("config: %q %q %q %q %v %v %d", r.DataTestPath, r.DataLabelColumn, r.ModelInitW, r.ModelInitV,
			r.TrainTol, r.TrainNormalizedTime, r.TrainCheckpoints)
	}
	if r.MinGamma == nil || *r.MinGamma != 0.25 || !reflect.DeepEqual(r.SPerClass, []float64{0.1, 0.2, 0.3}) ||
		r.Prop1Ratio == nil || *r.Prop1Ratio != 1.5 || !r.Prop1Holds {
		t.Errorf("theory: min_gamma %v s %v prop1 %v %v", r.MinGamma, r.SPerClass, r.Prop1Ratio, r.Prop1Holds)
	}
	if r.Assumption3 != nil || r.Assumption4 == nil || *r.Assumption4 || r.A4GroupSizes != nil {
		t.Errorf("init checks: a3 %v a4 %v sizes %v", r.Assumption3, r.Assumption4, r.A4GroupSizes)
	}
	data.Notes = []string{"stats: 1 training point(s) have norm zero"}
	if got := NewRow(run, data, res, meta).Notes; got != "data: stats: 1 training point(s) have norm zero; a; b" {
		t.Errorf("notes with dataset notes: %q", got)
	}
	data.Notes = nil
	if r.DataDim != 784 {
		t.Errorf("data_dim %d, want the configured 784 when the dataset has no D", r.DataDim)
	}
	data.Train.D = 12 // a file table with 12 feature columns
	if got := NewRow(run, data, res, meta).DataDim; got != 12 {
		t.Errorf("data_dim %d, want the dataset's 12", got)
	}
	data.Train.D = 0
	if r.EscapeTime == nil || *r.EscapeTime != 0.75 {
		t.Errorf("escape time %v, want 0.75", r.EscapeTime)
	}
	if r.SeparationTime == nil || *r.SeparationTime != 0.25 || r.SeparationStep == nil || *r.SeparationStep != 3 ||
		!r.Separated || !reflect.DeepEqual(r.GroupSizes, []int64{10, 12, 10}) || *r.ResidFeatures != 0.5 ||
		r.ResidV != nil || *r.CosWUMin != 0.25 || r.CosWUMean != nil {
		t.Errorf("outcomes: T* %v step %v separated %v groups %v resid %v %v cos %v %v", r.SeparationTime, r.SeparationStep,
			r.Separated, r.GroupSizes, r.ResidFeatures, r.ResidV, r.CosWUMin, r.CosWUMean)
	}
	res.Final.MinCosPerClass[0] = 9 // the row must not alias the result or the data
	data.Theory.Gamma[0] = 9
	*res.SeparationTime = 9
	*res.Init.A4 = true
	if r.MinCosPerClass[0] != 0.5 || r.GammaPerClass[0] != 0.5 || *r.SeparationTime != 0.25 || *r.Assumption4 {
		t.Error("row aliases the result or the dataset")
	}
	*res.SeparationTime = 0.25
	*res.Init.A4 = false
	data.Theory.Gamma[0] = 0.5

	// Without a dataset: zero statistics, null theory.
	nr := NewRow(run, nil, res, meta)
	if nr.NTrain != 0 || nr.GammaPerClass != nil || nr.MinGamma != nil || nr.Prop1Ratio != nil || nr.Status != "ok" {
		t.Errorf("nil data: n %d gamma %v min %v prop1 %v status %s", nr.NTrain, nr.GammaPerClass, nr.MinGamma, nr.Prop1Ratio, nr.Status)
	}
	// A dataset without theory: null gamma and s lists.
	data.Theory = nil
	if nr := NewRow(run, data, res, meta); nr.GammaPerClass != nil || nr.SPerClass != nil || nr.NTrain != 15 {
		t.Errorf("no theory: gamma %v s %v n %d", nr.GammaPerClass, nr.SPerClass, nr.NTrain)
	}
	data.Theory = &core.Theory{Gamma: []float64{0.5, math.Inf(1), 1}, S: []float64{0.1, 0.2, 0.3}}
	if nr := NewRow(run, data, res, meta); nr.GammaPerClass != nil || nr.MinGamma != nil || nr.Status != core.StatusFailed ||
		!strings.Contains(nr.Error, "gamma_per_class[1]") {
		t.Errorf("Inf gamma: list %v min %v status %s error %q", nr.GammaPerClass, nr.MinGamma, nr.Status, nr.Error)
	}
	res.SeparationTime = fp(math.NaN())
	if nr := NewRow(run, data, res, meta); nr.SeparationTime != nil || !strings.Contains(nr.Error, "separation_time") {
		t.Errorf("NaN T*: %v error %q", nr.SeparationTime, nr.Error)
	}
	res.SeparationTime = fp(0.25)

	// A non-finite plain float fails the run and is dropped.
	res.Final.ThetaNorm = math.Inf(1)
	res.Final.NC2 = fp(math.NaN())
	r = NewRow(run, data, res, meta)
	if r.Status != core.StatusFailed || !strings.Contains(r.Error, "theta_norm") || !strings.Contains(r.Error, "nc2") {
		t.Errorf("status %q error %q", r.Status, r.Error)
	}
	if r.ThetaNorm != 0 || r.NC2 != nil {
		t.Errorf("non-finite kept: theta_norm %v nc2 %v", r.ThetaNorm, r.NC2)
	}
	// A NaN list element nulls the list; min_cos follows.
	res.Final.ThetaNorm = 1
	res.Final.NC2 = nil
	res.Final.MinCosPerClass = []float64{0.5, math.NaN()}
	r = NewRow(run, data, res, meta)
	if r.Status != core.StatusFailed || !strings.Contains(r.Error, "min_cos_per_class[1]") || r.MinCosPerClass != nil || r.MinCos != nil {
		t.Errorf("status %q error %q list %v min %v", r.Status, r.Error, r.MinCosPerClass, r.MinCos)
	}
	// A diverged run keeps its status and its own error first.
	res.Status, res.Error = core.StatusDiverged, "loss is NaN at step 5"
	res.Final.MinCosPerClass = nil
	res.Final.Loss = fp(math.NaN())
	r = NewRow(run, data, res, meta)
	if r.Status != core.StatusDiverged || !strings.HasPrefix(r.Error, "loss is NaN at step 5; ") || r.Loss != nil {
		t.Errorf("status %q error %q loss %v", r.Status, r.Error, r.Loss)
	}
}

// failAfter returns a CreateTemp that works n times and then fails.
func failAfter(n int) func(dir, pattern string) (*os.File, error) {
	calls := 0
	return func(dir, pattern string) (*os.File, error) {
		calls++
		if calls > n {
			return nil, errors.New("disk full (simulated)")
		}
		return os.CreateTemp(dir, pattern)
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestPublishSafety(t *testing.T) {
	dir := t.TempDir()
	rows := sampleRows()
	// Watch the temp names the writer picks.
	var patterns []string
	create := failAfter(2)
	w, err := NewWriter(dir, WriterOptions{Prefix: "p", FlushRows: 2, CreateTemp: func(d, pattern string) (*os.File, error) {
		patterns = append(patterns, pattern)
		f, err := create(d, pattern)
		if err == nil {
			if ok, _ := filepath.Match("*.parquet", filepath.Base(f.Name())); ok {
				t.Errorf("temp file %s matches *.parquet", f.Name())
			}
		}
		return f, err
	}})
	if err != nil {
		t.Fatal(err)
	}
	// Rows 0,1 -> part 0 (FlushRows); row 2 + Flush -> part 1.
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil { // nothing buffered: no file
		t.Fatal(err)
	}
	wantParts := []string{"part-p-00000.parquet", "part-p-00001.parquet"}
	if got := listDir(t, filepath.Join(dir, RunsDir)); !reflect.DeepEqual(got, wantParts) {
		t.Fatalf("files %v, want %v", got, wantParts)
	}
	// The third publish fails: the error names the folder, nothing new is
	// left behind, and the published parts are intact.
	if err := w.Write(rows[0]); err != nil {
		t.Fatal(err)
	}
	err = w.Close()
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, RunsDir)) || !strings.Contains(err.Error(), "simulated") {
		t.Fatalf("Close error = %v", err)
	}
	if got := listDir(t, filepath.Join(dir, RunsDir)); !reflect.DeepEqual(got, wantParts) {
		t.Fatalf("after failure files %v, want %v", got, wantParts)
	}
	got, err := ReadRuns(dir)
	if err != nil {
		t.Fatal(err)
	}
	equalRows(t, got, rows)
	if len(patterns) != 3 {
		t.Errorf("%d temp files created, want 3", len(patterns))
	}
}

func TestNoClobberAndEmptyClose(t *testing.T) {
	dir := t.TempDir()
	runs := filepath.Join(dir, RunsDir)
	if err := os.MkdirAll(runs, 0o755); err != nil {
		t.Fatal(err)
	}
	// A file already holds the first name: the writer must pick the next.
	squatter := filepath.Join(runs, "part-p-00000.parquet")
	if err := os.WriteFile(squatter, []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(dir, WriterOptions{Prefix: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(sampleRows()[0]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if parts := w.Parts(); len(parts) != 1 || filepath.Base(parts[0]) != "part-p-00001.parquet" {
		t.Errorf("parts %v", parts)
	}
	if b, _ := os.ReadFile(squatter); string(b) != "not parquet" {
		t.Error("existing file overwritten")
	}
	// The unreadable squatter is an error naming it.
	if _, err := ReadRuns(dir); err == nil || !strings.Contains(err.Error(), squatter) {
		t.Errorf("ReadRuns error = %v, want one naming %s", err, squatter)
	}
	os.Remove(squatter)
	if got, err := ReadRuns(dir); err != nil || len(got) != 1 {
		t.Errorf("ReadRuns = %d rows, %v", len(got), err)
	}

	// Close with nothing buffered writes nothing.
	w2, err := NewWriter(dir, WriterOptions{Prefix: "q"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.Close(); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, runs); !reflect.DeepEqual(got, []string{"part-p-00001.parquet"}) {
		t.Errorf("files %v", got)
	}
	// A missing runs folder reads as empty.
	if got, err := ReadRuns(t.TempDir()); err != nil || len(got) != 0 {
		t.Errorf("empty dir: %d rows, %v", len(got), err)
	}
	// runs/ being a file makes NewWriter fail with the path.
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, RunsDir), nil, 0o644)
	if _, err := NewWriter(bad, WriterOptions{}); err == nil || !strings.Contains(err.Error(), filepath.Join(bad, RunsDir)) {
		t.Errorf("NewWriter on a file: %v", err)
	}
}

func TestFlushInterval(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w, err := NewWriter(dir, WriterOptions{Prefix: "i", FlushInterval: time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	rows := sampleRows()
	w.Write(rows[0])
	now = now.Add(59 * time.Second)
	w.Write(rows[1])
	if n := len(w.Parts()); n != 0 {
		t.Fatalf("published %d parts before the interval", n)
	}
	now = now.Add(time.Second) // 60 s after the first buffered row
	if err := w.Write(rows[2]); err != nil {
		t.Fatal(err)
	}
	if n := len(w.Parts()); n != 1 {
		t.Fatalf("published %d parts at the interval, want 1", n)
	}
	got, err := ReadRuns(dir)
	if err != nil {
		t.Fatal(err)
	}
	equalRows(t, got, rows)
}

func TestManifestAppends(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 3, 16, 0, 0, 0, time.UTC)
	m1 := Manifest{SpecText: "name = \"a\"\n", SpecHash: "h1", Sweep: "a", ToolVersion: "v1", Host: "n1",
		Args: []string{"run", "a.toml"}, Shard: "0/2", StartedAt: t0, EndedAt: t0.Add(time.Hour),
		Counts: Counts{Planned: 10, Skipped: 1, OK: 7, Failed: 1, Diverged: 1}}
	if err := WriteManifest(dir, m1); err != nil {
		t.Fatal(err)
	}
	m2 := m1
	m2.Shard, m2.Counts = "1/2", Counts{Planned: 10, OK: 9, Timeout: 1}
	if err := WriteManifest(dir, m2); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("manifest is not JSON: %v", err)
	}
	if raw["shard"] != "1/2" || raw["spec_hash"] != "h1" || raw["format"] != ManifestFormat {
		t.Errorf("top level: shard %v spec_hash %v format %v", raw["shard"], raw["spec_hash"], raw["format"])
	}
	if raw["go_version"] != runtime.Version() {
		t.Errorf("go_version %v", raw["go_version"])
	}
	invs, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(invs) != 2 || invs[0].Shard != "0/2" || invs[0].Counts.Diverged != 1 || invs[1].Counts.Timeout != 1 ||
		!invs[0].EndedAt.Equal(t0.Add(time.Hour)) || invs[1].Args[1] != "a.toml" {
		t.Errorf("invocations %+v", invs)
	}
	if names := listDir(t, dir); !reflect.DeepEqual(names, []string{".manifest.lock", ManifestName}) {
		t.Errorf("files %v (temp file left behind?)", names)
	}
	// A corrupt manifest is refused, not overwritten.
	os.WriteFile(filepath.Join(dir, ManifestName), []byte("{"), 0o644)
	if err := WriteManifest(dir, m1); err == nil {
		t.Error("corrupt manifest overwritten")
	}
}

// TestFailedWriteRemovesTemp makes the write itself fail (the temp file is
// opened read-only): the error names the temp file, which is gone, and the
// rows stay buffered so a later Flush publishes them.
func TestFailedWriteRemovesTemp(t *testing.T) {
	dir := t.TempDir()
	broken := true
	w, err := NewWriter(dir, WriterOptions{Prefix: "r", CreateTemp: func(d, pattern string) (*os.File, error) {
		f, err := os.CreateTemp(d, pattern)
		if err != nil || !broken {
			return f, err
		}
		f.Close()
		return os.Open(f.Name())
	}})
	if err != nil {
		t.Fatal(err)
	}
	rows := sampleRows()
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	err = w.Flush()
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, RunsDir, ".part-r-")) {
		t.Fatalf("Flush error = %v, want one naming the temp file", err)
	}
	if got := listDir(t, filepath.Join(dir, RunsDir)); len(got) != 0 {
		t.Fatalf("left behind %v after %v", got, err)
	}
	broken = false
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRuns(dir)
	if err != nil {
		t.Fatal(err)
	}
	equalRows(t, got, rows)
}

// TestPartFileLayout checks the Parquet-level promises: bounded row groups,
// zstd pages, the schema version in the metadata.
func TestPartFileLayout(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(dir, WriterOptions{Prefix: "l", RowGroupRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		r := sampleRows()[0]
		r.RunID = fmt.Sprint(i)
		w.Write(r)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(w.Parts()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(pf.RowGroups()); n != 3 {
		t.Errorf("%d row groups for 5 rows at 2 per group, want 3", n)
	}
	if v, ok := pf.Lookup(schemaMetaKey); !ok || v != SchemaVersion {
		t.Errorf("schema metadata %q %v", v, ok)
	}
	for _, c := range pf.Metadata().RowGroups[0].Columns {
		if c.MetaData.Codec != format.Zstd {
			t.Errorf("column %v codec %v, want zstd", c.MetaData.PathInSchema, c.MetaData.Codec)
		}
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("part file mode %v, want 0644", st.Mode().Perm())
	}
}
