package sweep

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ncsweep/ncsweep/core"
)

// valueType is the type of one grid value of a key.
type valueType int

const (
	typeString  valueType = iota // Go string
	typeInt                      // Go int64
	typeFloat                    // Go float64, finite, never -0
	typeBool                     // Go bool
	typeIntList                  // Go []int
)

// String names the type as a user reads it in an error message.
func (t valueType) String() string {
	switch t {
	case typeString:
		return "a string"
	case typeInt:
		return "an integer"
	case typeFloat:
		return "a number"
	case typeBool:
		return "a boolean (true or false)"
	case typeIntList:
		return "a list of integers"
	}
	return "?"
}

// Limits that keep a hostile or mistyped spec from asking for absurd work.
const (
	maxAxisLen  = 100_000       // values in one axis, always
	maxRuns     = 1_000_000     // runs in a grid without Options.AllowHuge
	maxRunsHard = 10_000_000    // runs in a grid even with Options.AllowHuge
	maxSteps    = 1e9           // integrator steps of one run
	maxEntries  = 1e9           // float64 entries of one run's data or weights+activations
	maxClasses  = 1_000         // synthetic classes
	maxPerClass = 10_000_000    // points per class
	maxDim      = 1_000_000     // synthetic dimension
	maxWidth    = 1_000_000     // hidden neurons
	mnistDim    = 784           // MNIST images are 28 x 28
	maxIntCount = 1_000_000_000 // epochs, batch
	// maxMagnitude bounds data.norm_spread, model.init_scale and train.lr.
	// Beyond it the arithmetic of a run overflows: squared norms of points
	// scaled by norm_spread (the dataset statistics), outputs that grow like
	// init_scale^2 inside exp, a first gd step of lr times the gradient.
	maxMagnitude = 1e6
)

// keyDesc describes one run key of a spec. The table keyTable drives
// parsing, defaults, validation, the canonical form behind run IDs and the
// plan table, so a new key is added in one place.
type keyDesc struct {
	name  string    // dotted name, e.g. "model.init_scale"
	typ   valueType // type of one grid value
	enum  []string  // allowed values of a string key (nil: any)
	valid string    // what a valid value looks like, for error messages
	// deps are keys the default or the checks depend on: when the key itself
	// is not in the spec, an error about it points at their line.
	deps []string
	// def is the default given the spec resolved so far (every key earlier
	// in the table is set).
	def func(s *core.Spec) any
	// applies returns "" when the key applies to s, else why it does not.
	// Nil means the key always applies.
	applies func(s *core.Spec) string
	// na is the value stored in the resolved spec when the key does not
	// apply, so that irrelevant keys never change a run's identity.
	na any
	// check returns a problem with value v in the context of s, or "".
	check func(v any, s *core.Spec) string
	get   func(s *core.Spec) any
	set   func(s *core.Spec, v any)
}

func synthOnly(s *core.Spec) string {
	if s.Data.Kind != "synthetic" {
		return fmt.Sprintf("applies to synthetic data only, but data.kind = %q", s.Data.Kind)
	}
	return ""
}

func mnistOnly(s *core.Spec) string {
	if s.Data.Kind != "mnist" {
		return fmt.Sprintf("applies to mnist data only, but data.kind = %q", s.Data.Kind)
	}
	return ""
}

func notFile(s *core.Spec) string {
	if s.Data.Kind == "file" {
		return "does not apply to data.kind = \"file\" (every row of the table is used)"
	}
	return ""
}

func pathKinds(s *core.Spec) string {
	if s.Data.Kind != "mnist" && s.Data.Kind != "file" {
		return fmt.Sprintf("applies to mnist and file data only, but data.kind = %q", s.Data.Kind)
	}
	return ""
}

func fileOnly(s *core.Spec) string {
	if s.Data.Kind != "file" {
		return fmt.Sprintf("applies to file data only, but data.kind = %q", s.Data.Kind)
	}
	return ""
}

func initFileOnly(s *core.Spec) string {
	if s.Model.Init != "file" {
		return fmt.Sprintf("applies to model.init = \"file\" only, but model.init = %q", s.Model.Init)
	}
	return ""
}

func flowOnly(s *core.Spec) string {
	if s.Train.Method != "flow" {
		return fmt.Sprintf("applies to method flow only, but train.method = %q", s.Train.Method)
	}
	return ""
}

func gdOrFlow(s *core.Spec) string {
	if s.Train.Method != "gd" && s.Train.Method != "flow" {
		return fmt.Sprintf("applies to methods gd and flow only, but train.method = %q", s.Train.Method)
	}
	return ""
}

// nonEmpty checks that a path-like string key is set.
func nonEmpty(what string) func(any, *core.Spec) string {
	return func(v any, _ *core.Spec) string {
		if v.(string) == "" {
			return "needs " + what
		}
		return ""
	}
}

func gdOnly(s *core.Spec) string {
	if s.Train.Method != "gd" {
		return fmt.Sprintf("applies to method gd only, but train.method = %q", s.Train.Method)
	}
	return ""
}

func sgdOnly(s *core.Spec) string {
	if s.Train.Method != "sgd" {
		return fmt.Sprintf("applies to method sgd only, but train.method = %q", s.Train.Method)
	}
	return ""
}

func constant(v any) func(*core.Spec) any { return func(*core.Spec) any { return v } }

// intRange returns a check that lo <= v <= hi.
func intRange(lo, hi int64) func(any, *core.Spec) string {
	return func(v any, _ *core.Spec) string {
		x := v.(int64)
		if x < lo {
			return fmt.Sprintf("must be >= %d, got %d", lo, x)
		}
		if x > hi {
			return fmt.Sprintf("must be <= %d, got %d", hi, x)
		}
		return ""
	}
}

func positive(v any, _ *core.Spec) string {
	if x := v.(float64); x <= 0 {
		return "must be > 0, got " + fmtFloat(x)
	}
	return ""
}

// positiveAtMost returns a check that 0 < v <= hi; why says what a larger
// value would break.
func positiveAtMost(hi float64, why string) func(any, *core.Spec) string {
	return func(v any, s *core.Spec) string {
		if msg := positive(v, s); msg != "" {
			return msg
		}
		if x := v.(float64); x > hi {
			return fmt.Sprintf("must be <= %s, got %s (%s)", fmtFloat(hi), fmtFloat(x), why)
		}
		return ""
	}
}

// trainingPoints is the number of training points of s, or -1 when unknown
// (mnist with per_class = 0, i.e. every image).
func trainingPoints(s *core.Spec) int64 {
	if s.Data.PerClass == 0 {
		return -1
	}
	return int64(s.Data.Classes) * int64(s.Data.PerClass)
}

// mnistImages is an upper bound on the MNIST training images of one digit,
// used to bound the work of a run that takes every image.
const mnistImages = 7000

// keyTable lists every run key in canonical order: grids are expanded in
// this order (the last key varies fastest), defaults are resolved in this
// order (a default may depend on keys above it), and run IDs hash the keys
// in this order.
//
// Decisions where the brief was silent:
//   - train.lr defaults to 0.01 for gd (a step of the summed loss, stable for
//     the default 100 points) and to 0.1 for sgd (the paper's MNIST run on the
//     batch-mean loss);
//   - a key that does not apply (data.dim for mnist, train.epochs for gd, ...)
//     may be written only with its default value; any other value is an
//     error naming the key. The resolved spec stores a fixed value for it
//     (zero, or 784 for the mnist dimension), so it never changes a run ID;
//   - data.center applies to mnist only (synthetic data is generated
//     around the origin);
//   - sizes are bounded (see the max* constants) so that a typo cannot ask
//     for terabytes.
var keyTable = []keyDesc{
	{
		name: "seed", typ: typeInt, valid: "an integer, a list of integers, or {range=[start,stop,step]}",
		def:   constant(int64(1)),
		check: func(any, *core.Spec) string { return "" },
		get:   func(s *core.Spec) any { return s.Seed },
		set:   func(s *core.Spec, v any) { s.Seed = v.(int64) },
	},
	{
		name: "data.kind", typ: typeString, enum: []string{"synthetic", "mnist", "file"},
		valid: `"synthetic", "mnist" or "file" (a CSV or Parquet table of features and labels)`,
		def:   constant("synthetic"),
		check: func(any, *core.Spec) string { return "" },
		get:   func(s *core.Spec) any { return s.Data.Kind },
		set:   func(s *core.Spec, v any) { s.Data.Kind = v.(string) },
	},
	{
		name: "data.digits", typ: typeIntList, valid: "a list of at least 2 distinct digits 0..9, e.g. [0,1,2], or a list of such lists (an axis)",
		deps:    []string{"data.kind"},
		def:     constant([]int{0, 1, 2}),
		applies: mnistOnly, na: []int(nil),
		check: func(v any, _ *core.Spec) string {
			d := v.([]int)
			if len(d) < 2 {
				return fmt.Sprintf("needs at least 2 digits, got %s", fmtValue(v, false))
			}
			var seen [10]bool
			for _, x := range d {
				if x < 0 || x > 9 {
					return fmt.Sprintf("digit %d out of range 0..9 in %s", x, fmtValue(v, false))
				}
				if seen[x] {
					return fmt.Sprintf("digit %d appears twice in %s", x, fmtValue(v, false))
				}
				seen[x] = true
			}
			return ""
		},
		get: func(s *core.Spec) any { return s.Data.Digits },
		set: func(s *core.Spec, v any) { s.Data.Digits = append([]int(nil), v.([]int)...) },
	},
	{
		name: "data.classes", typ: typeInt, valid: "an integer >= 2 (for mnist: the number of digits; for file: the labels are 0..classes-1)",
		deps: []string{"data.digits", "data.kind"},
		def: func(s *core.Spec) any {
			if s.Data.Kind == "mnist" {
				return int64(len(s.Data.Digits))
			}
			return int64(2)
		},
		check: func(v any, s *core.Spec) string {
			k := v.(int64)
			if s.Data.Kind == "mnist" {
				if k != int64(len(s.Data.Digits)) {
					return fmt.Sprintf("must equal the number of data.digits for mnist: data.digits = %s has %d, got %d",
						fmtValue(s.Data.Digits, false), len(s.Data.Digits), k)
				}
				return ""
			}
			return intRange(2, maxClasses)(v, s)
		},
		get: func(s *core.Spec) any { return int64(s.Data.Classes) },
		set: func(s *core.Spec, v any) { s.Data.Classes = int(v.(int64)) },
	},
	{
		name: "data.per_class", typ: typeInt, valid: "an integer >= 1 (mnist: >= 0, 0 = every image)",
		deps:    []string{"data.kind"},
		applies: notFile, na: int64(0),
		def: func(s *core.Spec) any {
			if s.Data.Kind == "mnist" {
				return int64(0)
			}
			return int64(50)
		},
		check: func(v any, s *core.Spec) string {
			if s.Data.Kind == "mnist" {
				return intRange(0, maxPerClass)(v, s)
			}
			return intRange(1, maxPerClass)(v, s)
		},
		get: func(s *core.Spec) any { return int64(s.Data.PerClass) },
		set: func(s *core.Spec, v any) { s.Data.PerClass = int(v.(int64)) },
	},
	{
		name: "data.test_per_class", typ: typeInt, valid: "an integer >= 0 (mnist: 0 = every test image)",
		deps:    []string{"data.kind"},
		applies: notFile, na: int64(0),
		def: func(s *core.Spec) any {
			if s.Data.Kind == "mnist" {
				return int64(0)
			}
			return int64(100)
		},
		check: intRange(0, maxPerClass),
		get:   func(s *core.Spec) any { return int64(s.Data.TestPerClass) },
		set:   func(s *core.Spec, v any) { s.Data.TestPerClass = int(v.(int64)) },
	},
	{
		name: "data.dim", typ: typeInt, valid: "an integer >= data.classes + 1",
		deps:    []string{"data.classes"},
		def:     constant(int64(20)),
		applies: synthOnly, na: int64(mnistDim),
		check: func(v any, s *core.Spec) string {
			d, k := v.(int64), int64(s.Data.Classes)
			if d < k+1 {
				return fmt.Sprintf("must be >= data.classes + 1 = %d, got %d", k+1, d)
			}
			if d > maxDim {
				return fmt.Sprintf("must be <= %d, got %d", maxDim, d)
			}
			n := k * int64(s.Data.PerClass+s.Data.TestPerClass)
			if float64(n)*float64(d) > maxEntries {
				return fmt.Sprintf("data of %d points x %d dimensions exceeds %g numbers", n, d, float64(maxEntries))
			}
			return ""
		},
		get: func(s *core.Spec) any { return int64(s.Data.Dim) },
		set: func(s *core.Spec, v any) { s.Data.Dim = int(v.(int64)) },
	},
	{
		name: "data.noise", typ: typeFloat, valid: "a number in [0, 1) (a fraction of the separability bound)",
		def:     constant(0.5),
		applies: synthOnly, na: 0.0,
		check: func(v any, _ *core.Spec) string {
			if x := v.(float64); x < 0 || x >= 1 {
				return "must be in [0, 1), got " + fmtFloat(x)
			}
			return ""
		},
		get: func(s *core.Spec) any { return s.Data.Noise },
		set: func(s *core.Spec, v any) { s.Data.Noise = v.(float64) },
	},
	{
		name: "data.norm_spread", typ: typeFloat, valid: "a number in [1, 1e6] (1 = every point on its class's norm)",
		def:     constant(2.0),
		applies: synthOnly, na: 0.0,
		check: func(v any, _ *core.Spec) string {
			x := v.(float64)
			if x < 1 {
				return "must be >= 1, got " + fmtFloat(x)
			}
			if x > maxMagnitude {
				return fmt.Sprintf("must be <= %s, got %s (points scaled that far apart overflow the data statistics)", fmtFloat(maxMagnitude), fmtFloat(x))
			}
			return ""
		},
		get: func(s *core.Spec) any { return s.Data.NormSpread },
		set: func(s *core.Spec, v any) { s.Data.NormSpread = v.(float64) },
	},
	{
		name: "data.path", typ: typeString, valid: `mnist: a folder holding the MNIST IDX files, or "" for the GoMNIST module's copy; file: the training table (.csv or .parquet); a relative path is read from the current directory`,
		deps:    []string{"data.kind"},
		def:     constant(""),
		applies: pathKinds, na: "",
		check: func(v any, s *core.Spec) string {
			if s.Data.Kind == "file" {
				return nonEmpty("the training table's path (.csv or .parquet) for data.kind = \"file\"")(v, s)
			}
			return ""
		},
		get: func(s *core.Spec) any { return s.Data.Path },
		set: func(s *core.Spec, v any) { s.Data.Path = v.(string) },
	},
	{
		name: "data.test_path", typ: typeString, valid: `a test table (.csv or .parquet, relative to the current directory) with the training table's columns, or "" for none`,
		def:     constant(""),
		applies: fileOnly, na: "",
		check: func(any, *core.Spec) string { return "" },
		get:   func(s *core.Spec) any { return s.Data.TestPath },
		set:   func(s *core.Spec, v any) { s.Data.TestPath = v.(string) },
	},
	{
		name: "data.label_column", typ: typeString, valid: "the name of the table's integer label column",
		def:     constant("label"),
		applies: fileOnly, na: "",
		check: nonEmpty("a column name"),
		get:   func(s *core.Spec) any { return s.Data.LabelColumn },
		set:   func(s *core.Spec, v any) { s.Data.LabelColumn = v.(string) },
	},
	{
		name: "data.center", typ: typeBool, valid: "true or false",
		def:     constant(true),
		applies: mnistOnly, na: false,
		check: func(any, *core.Spec) string { return "" },
		get:   func(s *core.Spec) any { return s.Data.Center },
		set:   func(s *core.Spec, v any) { s.Data.Center = v.(bool) },
	},
	{
		name: "model.width", typ: typeInt, valid: "an integer >= data.classes",
		deps: []string{"data.classes"},
		def:  constant(int64(50)),
		check: func(v any, s *core.Spec) string {
			h, k := v.(int64), int64(s.Data.Classes)
			if h < k {
				return fmt.Sprintf("must be >= data.classes = %d, got %d", k, h)
			}
			if h > maxWidth {
				return fmt.Sprintf("must be <= %d, got %d", maxWidth, h)
			}
			n := trainingPoints(s)
			if n < 0 {
				n = k * mnistImages
			}
			if float64(h)*float64(n+int64(s.Data.Dim)) > maxEntries {
				return fmt.Sprintf("a width of %d on %d points of dimension %d exceeds %g numbers", h, n, s.Data.Dim, float64(maxEntries))
			}
			return ""
		},
		get: func(s *core.Spec) any { return int64(s.Model.Width) },
		set: func(s *core.Spec, v any) { s.Model.Width = int(v.(int64)) },
	},
	{
		name: "model.init", typ: typeString, enum: []string{"gaussian", "paper", "semi-local", "file"},
		valid: `"gaussian" (balanced, Assumption 2), "paper" (iid entries, unbalanced), "semi-local" (shapes from the pairs (x_i, Etilde y_i)) or "file" (model.init_w and model.init_v)`,
		def:   constant("gaussian"),
		check: func(any, *core.Spec) string { return "" },
		get:   func(s *core.Spec) any { return s.Model.Init },
		set:   func(s *core.Spec, v any) { s.Model.Init = v.(string) },
	},
	{
		name: "model.init_scale", typ: typeFloat, valid: "a number in (0, 1e6], a list, or {logspace=[a,b,n]}",
		def:   constant(1e-3),
		check: positiveAtMost(maxMagnitude, "the outputs grow like init_scale^2 and overflow the loss"),
		get:   func(s *core.Spec) any { return s.Model.InitScale },
		set:   func(s *core.Spec, v any) { s.Model.InitScale = v.(float64) },
	},
	{
		name: "model.init_w", typ: typeString, valid: "a .csv or .npy file holding W0 (D rows x width columns), relative to the current directory",
		deps:    []string{"model.init"},
		def:     constant(""),
		applies: initFileOnly, na: "",
		check: nonEmpty(`the W0 file for model.init = "file"`),
		get:   func(s *core.Spec) any { return s.Model.InitW },
		set:   func(s *core.Spec, v any) { s.Model.InitW = v.(string) },
	},
	{
		name: "model.init_v", typ: typeString, valid: "a .csv or .npy file holding V0 (outputs rows x width columns), relative to the current directory",
		deps:    []string{"model.init"},
		def:     constant(""),
		applies: initFileOnly, na: "",
		check: nonEmpty(`the V0 file for model.init = "file"`),
		get:   func(s *core.Spec) any { return s.Model.InitV },
		set:   func(s *core.Spec, v any) { s.Model.InitV = v.(string) },
	},
	{
		name: "train.loss", typ: typeString, enum: []string{"exp", "logistic", "ce"},
		valid: `"exp" or "logistic" (2 classes) or "ce" (any number of classes)`,
		deps:  []string{"data.classes"},
		def: func(s *core.Spec) any {
			if s.Data.Classes == 2 {
				return "exp"
			}
			return "ce"
		},
		check: func(v any, s *core.Spec) string {
			if l := v.(string); l != "ce" && s.Data.Classes != 2 {
				return fmt.Sprintf("%q needs data.classes = 2, got data.classes = %d (use \"ce\")", l, s.Data.Classes)
			}
			return ""
		},
		get: func(s *core.Spec) any { return s.Train.Loss },
		set: func(s *core.Spec, v any) { s.Train.Loss = v.(string) },
	},
	{
		name: "train.method", typ: typeString, enum: []string{"gd", "sgd", "flow"},
		valid: `"gd" (full-batch, summed loss), "sgd" (mini-batch, batch-mean loss) or "flow" (adaptive gradient-flow integrator)`,
		def:   constant("gd"),
		check: func(any, *core.Spec) string { return "" },
		get:   func(s *core.Spec) any { return s.Train.Method },
		set:   func(s *core.Spec, v any) { s.Train.Method = v.(string) },
	},
	{
		name: "train.lr", typ: typeFloat, valid: "a number in (0, 1e6]",
		deps: []string{"train.method"},
		def: func(s *core.Spec) any {
			if s.Train.Method == "sgd" {
				return 0.1
			}
			return 0.01
		},
		check: positiveAtMost(maxMagnitude, "a step that large overflows the weights"),
		get:   func(s *core.Spec) any { return s.Train.LR },
		set:   func(s *core.Spec, v any) { s.Train.LR = v.(float64) },
	},
	{
		name: "train.time", typ: typeFloat, valid: "a positive number (gd: with 1 <= round(time/lr) <= 1e9)",
		deps:    []string{"train.lr"},
		def:     constant(100.0),
		applies: gdOrFlow, na: 0.0,
		check: func(v any, s *core.Spec) string {
			t := v.(float64)
			if t <= 0 {
				return "must be > 0, got " + fmtFloat(t)
			}
			if s.Train.Method == "flow" {
				return ""
			}
			steps := math.Round(t / s.Train.LR)
			if !(steps >= 1 && steps <= maxSteps) {
				return fmt.Sprintf("gives round(train.time / train.lr) = round(%s / %s) = %s steps, must be in [1, 1e9]",
					fmtFloat(t), fmtFloat(s.Train.LR), strconv.FormatFloat(steps, 'g', 6, 64))
			}
			return ""
		},
		get: func(s *core.Spec) any { return s.Train.Time },
		set: func(s *core.Spec, v any) { s.Train.Time = v.(float64) },
	},
	{
		name: "train.epochs", typ: typeInt, valid: "an integer >= 1",
		def:     constant(int64(50)),
		applies: sgdOnly, na: int64(0),
		check: intRange(1, maxIntCount),
		get:   func(s *core.Spec) any { return int64(s.Train.Epochs) },
		set:   func(s *core.Spec, v any) { s.Train.Epochs = int(v.(int64)) },
	},
	{
		name: "train.batch", typ: typeInt, valid: "an integer >= 1 (a batch larger than the data is the full data)",
		deps:    []string{"train.epochs"},
		def:     constant(int64(1000)),
		applies: sgdOnly, na: int64(0),
		check: func(v any, s *core.Spec) string {
			if msg := intRange(1, maxIntCount)(v, s); msg != "" {
				return msg
			}
			b := v.(int64)
			n := trainingPoints(s)
			if n < 0 {
				n = int64(s.Data.Classes) * mnistImages
			}
			steps := float64(s.Train.Epochs) * float64((n+b-1)/b)
			if steps > maxSteps {
				return fmt.Sprintf("train.epochs = %d with batches of %d on %d points gives %g steps, more than 1e9", s.Train.Epochs, b, n, steps)
			}
			return ""
		},
		get: func(s *core.Spec) any { return int64(s.Train.Batch) },
		set: func(s *core.Spec, v any) { s.Train.Batch = int(v.(int64)) },
	},
	{
		name: "train.tol", typ: typeFloat, valid: "a number in (0, 0.1]: the flow integrator's local error tolerance relative to |theta|",
		def:     constant(1e-6),
		applies: flowOnly, na: 0.0,
		check: func(v any, _ *core.Spec) string {
			if x := v.(float64); x <= 0 || x > 0.1 {
				return "must be in (0, 0.1], got " + fmtFloat(x)
			}
			return ""
		},
		get: func(s *core.Spec) any { return s.Train.Tol },
		set: func(s *core.Spec, v any) { s.Train.Tol = v.(float64) },
	},
	{
		name: "train.normalized_time", typ: typeBool, valid: "true or false: integrate d theta/ds = -grad L / L (same path, faster once the loss is tiny)",
		def:     constant(false),
		applies: flowOnly, na: false,
		check: func(any, *core.Spec) string { return "" },
		get:   func(s *core.Spec) any { return s.Train.NormalizedTime },
		set:   func(s *core.Spec, v any) { s.Train.NormalizedTime = v.(bool) },
	},
	{
		name: "train.checkpoints", typ: typeInt, valid: "an integer in [0, 10000]: log-spaced trajectory rows per run (0: none)",
		def:   constant(int64(0)),
		check: intRange(0, 10_000),
		get:   func(s *core.Spec) any { return int64(s.Train.Checkpoints) },
		set:   func(s *core.Spec, v any) { s.Train.Checkpoints = int(v.(int64)) },
	},
}

// Top-level keys and tables of a spec besides the run keys.
const (
	keyName = "name"
	keyZip  = "sweep.zip"
)

// tables are the spec's tables, in canonical order.
var tables = []string{"data", "model", "train", "sweep"}

// findKey returns the index of the run key named name in keyTable, or -1.
func findKey(name string) int {
	for i := range keyTable {
		if keyTable[i].name == name {
			return i
		}
	}
	return -1
}

// allKeyNames lists every key a spec may set, for suggestions.
func allKeyNames() []string {
	names := []string{keyName}
	for i := range keyTable {
		names = append(names, keyTable[i].name)
	}
	return append(names, keyZip)
}

// isTable reports whether name is one of the spec's tables.
func isTable(name string) bool {
	for _, t := range tables {
		if t == name {
			return true
		}
	}
	return false
}

// fmtFloat formats x the way run identities do.
func fmtFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// fmtValue formats one grid value: canonically (strings quoted) when quote
// is set, for a table otherwise.
func fmtValue(v any, quote bool) string {
	switch x := v.(type) {
	case string:
		if quote {
			return strconv.Quote(x)
		}
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return fmtFloat(x)
	case bool:
		return strconv.FormatBool(x)
	case []int:
		parts := make([]string, len(x))
		for i, d := range x {
			parts[i] = strconv.Itoa(d)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return fmt.Sprintf("%v", v)
}
