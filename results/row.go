package results

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ncsweep/ncsweep/core"
	"github.com/ncsweep/ncsweep/sweep"
)

// SchemaVersion names the frozen layout of Row. It is stored in every part
// file's key/value metadata under the key "ncsweep.schema" so that a reader
// years later can tell which layout it is looking at. Change it whenever a
// column is added, removed, renamed or retyped.
const SchemaVersion = "runs/3"

// Row is one run, flattened into the frozen schema of OUT/runs/*.parquet.
//
// Conventions, so that DuckDB, pandas and polars read the files without
// surprises:
//   - plain column types only: string, int64 (never unsigned), float64,
//     bool, a UTC-adjusted timestamp in microseconds (DuckDB: TIMESTAMP
//     WITH TIME ZONE; pandas: datetime64[us, UTC]) that is null for a zero
//     time.Time, and a few list<double> and list<int64> columns;
//   - a measurement that was not taken or is undefined is null: a pointer
//     field (*float64, *int64, *bool) tagged optional, or a nil list. A real
//     0.0 or false is never null and null is never written as 0 or NaN;
//   - no float column ever holds NaN or Inf (NewRow enforces this).
//
// Columns are grouped as identity, config (one column per resolved key),
// data statistics of the training split, and outcomes of the run.
type Row struct {
	// Identity.
	RunID     string    `parquet:"run_id"`
	Sweep     string    `parquet:"sweep"`
	SpecHash  string    `parquet:"spec_hash"`
	Status    string    `parquet:"status"`                                         // core.Status* value
	Error     string    `parquet:"error"`                                          // empty if none
	Notes     string    `parquet:"notes"`                                          // the dataset's notes ("data: ...") then the run's, joined with "; "
	StartedAt time.Time `parquet:"started_at,optional,timestamp(microsecond:utc)"` // UTC; zero = null
	DurationS float64   `parquet:"duration_s"`                                     // wall-clock seconds
	Host      string    `parquet:"host"`
	Shard     string    `parquet:"shard"` // "i/N", e.g. "0/1"
	RunIndex  int64     `parquet:"run_index"`

	// Config: every resolved key of core.Spec.
	Seed             int64   `parquet:"seed"`
	DataKind         string  `parquet:"data_kind"`
	DataClasses      int64   `parquet:"data_classes"`
	DataPerClass     int64   `parquet:"data_per_class"`
	DataTestPerClass int64   `parquet:"data_test_per_class"`
	DataDim          int64   `parquet:"data_dim"`
	DataNoise        float64 `parquet:"data_noise"`
	DataNormSpread   float64 `parquet:"data_norm_spread"`
	DataDigits       string  `parquet:"data_digits"` // "0,1,2"; empty for synthetic
	DataPath         string  `parquet:"data_path"`
	DataCenter       bool    `parquet:"data_center"`
	ModelWidth       int64   `parquet:"model_width"`
	ModelInit        string  `parquet:"model_init"`
	ModelInitScale   float64 `parquet:"model_init_scale"`
	TrainLoss        string  `parquet:"train_loss"`
	TrainMethod      string  `parquet:"train_method"`
	TrainLR          float64 `parquet:"train_lr"`
	TrainTime        float64 `parquet:"train_time"`
	TrainEpochs      int64   `parquet:"train_epochs"`
	TrainBatch       int64   `parquet:"train_batch"`
	// Added in runs/2.
	DataTestPath        string  `parquet:"data_test_path"`    // kind "file": the test table
	DataLabelColumn     string  `parquet:"data_label_column"` // kind "file": the label column
	ModelInitW          string  `parquet:"model_init_w"`      // init "file": W0
	ModelInitV          string  `parquet:"model_init_v"`      // init "file": V0
	TrainTol            float64 `parquet:"train_tol"`
	TrainNormalizedTime bool    `parquet:"train_normalized_time"`
	TrainCheckpoints    int64   `parquet:"train_checkpoints"`

	// Data statistics of the training split (core.DataStats).
	NTrain        int64    `parquet:"n_train"`
	NTest         int64    `parquet:"n_test"`
	MuS           float64  `parquet:"mu_s"`
	MuD           float64  `parquet:"mu_d"`
	SameViolFrac  float64  `parquet:"same_viol_frac"`
	CrossViolFrac float64  `parquet:"cross_viol_frac"`
	ViolFrac      float64  `parquet:"viol_frac"`
	Separable     bool     `parquet:"separable"`
	XMaxOverMin   float64  `parquet:"x_max_over_min"`
	PCARaw        *float64 `parquet:"pca_raw,optional"`
	PCARawSq      *float64 `parquet:"pca_raw_sq,optional"`

	// Theory predictions from the training data (core.Theory, SCIENCE.md
	// section 3) and Proposition 1's condition: gamma_k and s_k per class
	// (null when the theory could not be computed), their minimum margin,
	// and X_max^2/(X_min^2 mu_d mu_s) (null when mu_s or mu_d <= 0).
	GammaPerClass []float64 `parquet:"gamma_per_class,optional,list"`
	SPerClass     []float64 `parquet:"s_per_class,optional,list"`
	MinGamma      *float64  `parquet:"min_gamma,optional"` // min of gamma_per_class
	Prop1Ratio    *float64  `parquet:"prop1_ratio,optional"`
	Prop1Holds    bool      `parquet:"prop1_holds"` // prop1_ratio < 2K - 3; false when null

	// Assumptions on the initial shape (core.InitChecks): Assumption 3 is
	// checked for binary runs only and Assumption 4 for multi-class ones;
	// the other is null. a4_group_sizes is the size of each class's neuron
	// group N_k of the partition found (null unless Assumption 4 holds).
	Assumption3  *bool   `parquet:"assumption3,optional"`
	Assumption4  *bool   `parquet:"assumption4,optional"`
	A4GroupSizes []int64 `parquet:"a4_group_sizes,optional,list"`

	// Outcomes (core.Result and its final core.Metrics).
	Steps           int64     `parquet:"steps"`
	GradEvals       int64     `parquet:"grad_evals"`
	GFTime          float64   `parquet:"gf_time"`
	Loss            *float64  `parquet:"loss,optional"`
	TrainAcc        *float64  `parquet:"train_acc,optional"`
	TestAcc         *float64  `parquet:"test_acc,optional"`
	NC1             *float64  `parquet:"nc1,optional"`
	NC1Norm         *float64  `parquet:"nc1_norm,optional"`
	NC1Papyan       *float64  `parquet:"nc1_papyan,optional"`
	NC2             *float64  `parquet:"nc2,optional"`
	NC3             *float64  `parquet:"nc3,optional"`
	NC3Paper        *float64  `parquet:"nc3_paper,optional"`
	NC4             *float64  `parquet:"nc4,optional"`
	ZeroFeatures    int64     `parquet:"zero_features"`
	MinCosPerClass  []float64 `parquet:"min_cos_per_class,optional,list"`  // null when not measured
	MeanCosPerClass []float64 `parquet:"mean_cos_per_class,optional,list"` // null when not measured
	MinCos          *float64  `parquet:"min_cos,optional"`                 // min of min_cos_per_class
	MaxCosMeans     *float64  `parquet:"max_cos_means,optional"`
	DeadFrac        float64   `parquet:"dead_frac"`
	ThetaNorm       float64   `parquet:"theta_norm"`
	BalanceMax      float64   `parquet:"balance_max"`
	ConservedDrift  float64   `parquet:"conserved_drift"`
	PCAFeat         *float64  `parquet:"pca_feat,optional"`
	PCAFeatSq       *float64  `parquet:"pca_feat_sq,optional"`

	// Alignment and theory residuals (added in runs/2). separation_time is
	// T*, the first GF time with inter-class separation, and
	// separation_step its integrator step: both null when separation was
	// never reached. separated and group_sizes describe the final weights
	// (see core.Metrics); the residuals compare the final direction
	// theta/|theta|_F with Theorem 1's prediction.
	SeparationTime *float64 `parquet:"separation_time,optional"`
	SeparationStep *int64   `parquet:"separation_step,optional"`
	// EscapeTime is the first GF time at which the training loss is at
	// most half its initial value (core.Result.EscapeTime); null for sgd
	// and when never reached. Added in runs/3.
	EscapeTime    *float64 `parquet:"escape_time,optional"`
	Separated     bool     `parquet:"separated"`
	GroupSizes    []int64  `parquet:"group_sizes,optional,list"`
	ResidFeatures *float64 `parquet:"resid_features,optional"`
	ResidV        *float64 `parquet:"resid_v,optional"`
	CosWUMin      *float64 `parquet:"cos_wu_min,optional"`
	CosWUMean     *float64 `parquet:"cos_wu_mean,optional"`
}

// RunMeta is what the caller knows about a run's execution that neither the
// configuration nor the core result carries.
type RunMeta struct {
	SpecHash  string
	Host      string
	Shard     string // "i/N"
	StartedAt time.Time
	Duration  time.Duration
}

// NewRow flattens one finished run into a Row. data is the run's dataset
// (nil when it could not be built: the data statistics and theory columns
// are then zero or null); res is what core returned.
//
// NewRow guarantees that no float column holds NaN or Inf. Core promises
// that already (a nil pointer means "not measured"), so a non-finite value
// here is a broken contract and is made loud rather than hidden: the value
// is dropped (a plain float becomes 0, a pointer or list becomes null), the
// error text names the column, and a row whose status was ok becomes
// failed. A row that was already not ok (diverged, timeout, ...) keeps its
// more specific status and gains the error text.
//
// StartedAt is stored in UTC, truncated to the microsecond the column holds.
// (parquet-go v0.32.1 reads timestamps back through int64 nanoseconds, so
// only instants between the years 1678 and 2262 round-trip through Go; the
// zero time is stored as null and reads back as the zero time.)
// Lists and pointers are copied, so the Row does not alias res or data.
func NewRow(run sweep.RunConfig, data *core.Dataset, res core.Result, meta RunMeta) Row {
	s := run.Spec
	m := res.Final
	var stats core.DataStats
	var nTrain, nTest int
	var theory core.Theory
	if data != nil {
		stats, nTrain, nTest = data.Stats, data.Train.N, data.Test.N
		if data.Theory != nil {
			theory = *data.Theory
		}
	}
	r := Row{
		RunID:     run.ID,
		Sweep:     run.Sweep,
		SpecHash:  meta.SpecHash,
		Status:    res.Status,
		Error:     res.Error,
		Notes:     strings.Join(append(dataNotes(data), res.Notes...), "; "),
		StartedAt: meta.StartedAt.UTC().Truncate(time.Microsecond),
		DurationS: meta.Duration.Seconds(),
		Host:      meta.Host,
		Shard:     meta.Shard,
		RunIndex:  int64(run.Index),

		Seed:             s.Seed,
		DataKind:         s.Data.Kind,
		DataClasses:      int64(s.Data.Classes),
		DataPerClass:     int64(s.Data.PerClass),
		DataTestPerClass: int64(s.Data.TestPerClass),
		DataDim:          dataDim(s, data),
		DataNoise:        s.Data.Noise,
		DataNormSpread:   s.Data.NormSpread,
		DataDigits:       joinInts(s.Data.Digits),
		DataPath:         s.Data.Path,
		DataCenter:       s.Data.Center,
		ModelWidth:       int64(s.Model.Width),
		ModelInit:        s.Model.Init,
		ModelInitScale:   s.Model.InitScale,
		TrainLoss:        s.Train.Loss,
		TrainMethod:      s.Train.Method,
		TrainLR:          s.Train.LR,
		TrainTime:        s.Train.Time,
		TrainEpochs:      int64(s.Train.Epochs),
		TrainBatch:       int64(s.Train.Batch),

		DataTestPath:        s.Data.TestPath,
		DataLabelColumn:     s.Data.LabelColumn,
		ModelInitW:          s.Model.InitW,
		ModelInitV:          s.Model.InitV,
		TrainTol:            s.Train.Tol,
		TrainNormalizedTime: s.Train.NormalizedTime,
		TrainCheckpoints:    int64(s.Train.Checkpoints),

		NTrain:        int64(nTrain),
		NTest:         int64(nTest),
		MuS:           stats.MuS,
		MuD:           stats.MuD,
		SameViolFrac:  stats.SameViolFrac,
		CrossViolFrac: stats.CrossViolFrac,
		ViolFrac:      stats.ViolFrac,
		Separable:     stats.Separable,
		XMaxOverMin:   stats.XMaxOverMin,
		PCARaw:        copyFloat(stats.PCARaw),
		PCARawSq:      copyFloat(stats.PCARawSq),

		GammaPerClass: copyList(theory.Gamma),
		SPerClass:     copyList(theory.S),
		Prop1Ratio:    copyFloat(stats.Prop1Ratio),
		Prop1Holds:    stats.Prop1Holds,

		Assumption3:  copyBool(res.Init.A3),
		Assumption4:  copyBool(res.Init.A4),
		A4GroupSizes: int64List(res.Init.A4GroupSizes),

		Steps:           res.Steps,
		GradEvals:       res.GradEvals,
		GFTime:          res.GFTime,
		Loss:            copyFloat(m.Loss),
		TrainAcc:        copyFloat(m.TrainAcc),
		TestAcc:         copyFloat(m.TestAcc),
		NC1:             copyFloat(m.NC1),
		NC1Norm:         copyFloat(m.NC1Norm),
		NC1Papyan:       copyFloat(m.NC1Papyan),
		NC2:             copyFloat(m.NC2),
		NC3:             copyFloat(m.NC3),
		NC3Paper:        copyFloat(m.NC3Paper),
		NC4:             copyFloat(m.NC4),
		ZeroFeatures:    int64(m.ZeroFeatures),
		MinCosPerClass:  copyList(m.MinCosPerClass),
		MeanCosPerClass: copyList(m.MeanCosPerClass),
		MaxCosMeans:     copyFloat(m.MaxCosMeans),
		DeadFrac:        m.DeadFrac,
		ThetaNorm:       m.ThetaNorm,
		BalanceMax:      m.BalanceMax,
		ConservedDrift:  m.ConservedDrift,
		PCAFeat:         copyFloat(m.PCAFeat),
		PCAFeatSq:       copyFloat(m.PCAFeatSq),

		SeparationTime: copyFloat(res.SeparationTime),
		SeparationStep: copyInt(res.SeparationStep),
		EscapeTime:     copyFloat(res.EscapeTime),
		Separated:      m.Separated,
		GroupSizes:     int64List(m.GroupSizes),
		ResidFeatures:  copyFloat(m.ResidFeatures),
		ResidV:         copyFloat(m.ResidV),
		CosWUMin:       copyFloat(m.CosWUMin),
		CosWUMean:      copyFloat(m.CosWUMean),
	}
	r.sanitize()
	// min_cos and min_gamma are derived after sanitizing, so they only see
	// finite values.
	r.MinCos = minOf(r.MinCosPerClass)
	r.MinGamma = minOf(r.GammaPerClass)
	return r
}

// minOf returns the smallest element of xs, or nil for an empty list.
func minOf(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	m := xs[0]
	for _, v := range xs[1:] {
		m = math.Min(m, v)
	}
	return &m
}

// sanitize drops every non-finite float (see NewRow) and records which
// columns held one.
func (r *Row) sanitize() {
	var bad []string
	plain := func(name string, p *float64) {
		if !finite(*p) {
			bad = append(bad, fmt.Sprintf("%s=%v", name, *p))
			*p = 0
		}
	}
	opt := func(name string, p **float64) {
		if *p != nil && !finite(**p) {
			bad = append(bad, fmt.Sprintf("%s=%v", name, **p))
			*p = nil
		}
	}
	list := func(name string, p *[]float64) {
		for i, v := range *p {
			if !finite(v) {
				bad = append(bad, fmt.Sprintf("%s[%d]=%v", name, i, v))
				*p = nil
				return
			}
		}
	}
	plain("duration_s", &r.DurationS)
	plain("data_noise", &r.DataNoise)
	plain("data_norm_spread", &r.DataNormSpread)
	plain("model_init_scale", &r.ModelInitScale)
	plain("train_lr", &r.TrainLR)
	plain("train_time", &r.TrainTime)
	plain("mu_s", &r.MuS)
	plain("mu_d", &r.MuD)
	plain("same_viol_frac", &r.SameViolFrac)
	plain("cross_viol_frac", &r.CrossViolFrac)
	plain("viol_frac", &r.ViolFrac)
	plain("x_max_over_min", &r.XMaxOverMin)
	opt("pca_raw", &r.PCARaw)
	opt("pca_raw_sq", &r.PCARawSq)
	plain("train_tol", &r.TrainTol)
	list("gamma_per_class", &r.GammaPerClass)
	list("s_per_class", &r.SPerClass)
	opt("prop1_ratio", &r.Prop1Ratio)
	plain("gf_time", &r.GFTime)
	opt("loss", &r.Loss)
	opt("train_acc", &r.TrainAcc)
	opt("test_acc", &r.TestAcc)
	opt("nc1", &r.NC1)
	opt("nc1_norm", &r.NC1Norm)
	opt("nc1_papyan", &r.NC1Papyan)
	opt("nc2", &r.NC2)
	opt("nc3", &r.NC3)
	opt("nc3_paper", &r.NC3Paper)
	opt("nc4", &r.NC4)
	list("min_cos_per_class", &r.MinCosPerClass)
	list("mean_cos_per_class", &r.MeanCosPerClass)
	opt("max_cos_means", &r.MaxCosMeans)
	plain("dead_frac", &r.DeadFrac)
	plain("theta_norm", &r.ThetaNorm)
	plain("balance_max", &r.BalanceMax)
	plain("conserved_drift", &r.ConservedDrift)
	opt("pca_feat", &r.PCAFeat)
	opt("pca_feat_sq", &r.PCAFeatSq)
	opt("separation_time", &r.SeparationTime)
	opt("escape_time", &r.EscapeTime)
	opt("resid_features", &r.ResidFeatures)
	opt("resid_v", &r.ResidV)
	opt("cos_wu_min", &r.CosWUMin)
	opt("cos_wu_mean", &r.CosWUMean)
	if len(bad) == 0 {
		return
	}
	msg := "non-finite value dropped from column(s): " + strings.Join(bad, ", ")
	if r.Error == "" {
		r.Error = msg
	} else {
		r.Error += "; " + msg
	}
	if r.Status == core.StatusOK || r.Status == "" {
		r.Status = core.StatusFailed
	}
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func copyFloat(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func copyInt(p *int64) *int64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func copyBool(p *bool) *bool {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// int64List converts a list of ints; nil stays nil (null).
func int64List(xs []int) []int64 {
	if xs == nil {
		return nil
	}
	out := make([]int64, len(xs))
	for i, x := range xs {
		out[i] = int64(x)
	}
	return out
}

// copyList copies a list; nil stays nil (a null column value) and an empty
// non-nil list stays an empty list.
func copyList(xs []float64) []float64 {
	if xs == nil {
		return nil
	}
	return append(make([]float64, 0, len(xs)), xs...)
}

func joinInts(xs []int) string {
	var b strings.Builder
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(x))
	}
	return b.String()
}

// dataDim is the input dimension D: the dataset's own when it was built (a
// file table's feature count, 784 for MNIST), else the configured one.
func dataDim(s core.Spec, data *core.Dataset) int64 {
	if data != nil && data.Train.D > 0 {
		return int64(data.Train.D)
	}
	return int64(s.Data.Dim)
}

// dataNotes are the dataset's notes (how it was built, points left out of
// the statistics, why no theory), prefixed "data: ".
func dataNotes(data *core.Dataset) []string {
	if data == nil {
		return nil
	}
	out := make([]string, 0, len(data.Notes))
	for _, n := range data.Notes {
		out = append(out, "data: "+n)
	}
	return out
}
