package sweep

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/ncsweep/ncsweep/core"
)

// leaves flattens errors.Join trees.
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}

func parseTestdata(t *testing.T, file string, opt Options) (*Plan, error) {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("testdata", "specs", file))
	if err != nil {
		t.Fatal(err)
	}
	return Parse(file, text, opt)
}

func TestBadSpecs(t *testing.T) {
	// Each want lists substrings of the error: the position, the key and
	// what is wrong.
	cases := []struct {
		file string
		want []string
		not  []string // substrings the error must not contain
	}{
		{"bad_syntax.toml", []string{"bad_syntax.toml:3: ", "invalid TOML"}, nil},
		{"bad_duplicate_key.toml", []string{"bad_duplicate_key.toml:3: ", "already been defined"}, nil},
		{"bad_unknown_key.toml", []string{"bad_unknown_key.toml:3: data.colour: unknown key", "data.noise"}, nil},
		{"bad_unknown_table.toml", []string{"bad_unknown_table.toml:3: modle: unknown table", "did you mean [model]?"}, nil},
		{"bad_misspelled_key.toml", []string{"bad_misspelled_key.toml:3: model.init_scal: ", "did you mean model.init_scale?"}, nil},
		{"bad_width_in_data.toml", []string{"bad_width_in_data.toml:2: data.width: ", "did you mean model.width?"}, nil},
		{"bad_inline_unknown.toml", []string{"bad_inline_unknown.toml:1: model.widht: ", "did you mean model.width?"}, nil},
		{"bad_data_not_table.toml", []string{"bad_data_not_table.toml:2: data: must be a table", "an integer (5)"}, nil},
		{"bad_array_of_tables.toml", []string{"bad_array_of_tables.toml:1: data: must be a table", "array of tables"}, nil},
		{"bad_name_list.toml", []string{"bad_name_list.toml:1: name: expected a string, got a list"}, nil},
		{"bad_width_string.toml", []string{"bad_width_string.toml:2: model.width: expected an integer", `("fifty")`, "valid: an integer >= data.classes"}, nil},
		{"bad_float_for_int.toml", []string{"bad_float_for_int.toml:2: data.per_class: ", "non-integral 2.5"}, nil},
		{"bad_negative_width.toml", []string{"bad_negative_width.toml:3: model.width: must be >= data.classes = 2, got -5"}, nil},
		{"bad_zero_per_class.toml", []string{"bad_zero_per_class.toml:2: data.per_class: must be >= 1, got 0"}, nil},
		{"bad_eps_zero.toml", []string{"bad_eps_zero.toml:2: model.init_scale: must be > 0, got 0 (valid: a number in (0, 1e6]"}, nil},
		{"bad_eps_negative.toml", []string{"bad_eps_negative.toml:3: model.init_scale: must be > 0, got -1"}, nil},
		{"bad_nan.toml", []string{"bad_nan.toml:2: data.noise: expected a finite number, got NaN"}, nil},
		{"bad_inf.toml", []string{"bad_inf.toml:3: train.lr: expected a finite number, got +Inf"}, nil},
		{"bad_empty_list.toml", []string{"bad_empty_list.toml:2: model.width: empty list"}, nil},
		{"bad_duplicate_axis.toml", []string{"bad_duplicate_axis.toml:2: model.width: the value 50 appears twice"}, nil},
		{"bad_huge_axis.toml", []string{"bad_huge_axis.toml:1: seed: range of 200000 values exceeds the axis limit of 100000"}, nil},
		{"bad_logspace_n0.toml", []string{"bad_logspace_n0.toml:2: model.init_scale: logspace needs n >= 1", "n = 0"}, nil},
		{"bad_linspace_nonint.toml", []string{"bad_linspace_nonint.toml:2: model.width: linspace gives 15.5 for an integer key"}, nil},
		{"bad_range_step0.toml", []string{"bad_range_step0.toml:2: model.width: range step must not be 0"}, nil},
		{"bad_range_sign.toml", []string{"bad_range_sign.toml:2: model.width: range [50, 10, 5] is empty"}, nil},
		{"bad_range_kind.toml", []string{"bad_range_kind.toml:2: model.init_scale: unknown range kind \"logspce\"", `did you mean "logspace"?`}, nil},
		{"bad_zip_unequal.toml", []string{"bad_zip_unequal.toml:8: sweep.zip: ", "model.width has 2 values but data.dim has 3"}, nil},
		{"bad_zip_nonaxis.toml", []string{"bad_zip_nonaxis.toml:6: sweep.zip: ", "data.dim is not an axis"}, nil},
		{"bad_zip_twice.toml", []string{"bad_zip_twice.toml:7: sweep.zip: ", "data.dim is already in group 1"}, nil},
		{"bad_kind.toml", []string{"bad_kind.toml:2: data.kind: unknown value \"cifar\"", `"synthetic", "mnist" or "file"`}, nil},
		{"bad_loss.toml", []string{"bad_loss.toml:2: train.loss: unknown value \"hinge\""}, nil},
		{"bad_exp_k3.toml", []string{"bad_exp_k3.toml:4: train.loss: \"exp\" needs data.classes = 2, got data.classes = 3"}, nil},
		{"bad_width_lt_classes.toml", []string{"bad_width_lt_classes.toml:5: model.width: must be >= data.classes = 5, got 4"}, nil},
		{"bad_default_width.toml", []string{"bad_default_width.toml:2: model.width: the default 50 does not fit", "data.classes = 100"}, nil},
		{"bad_digit_range.toml", []string{"bad_digit_range.toml:3: data.digits: digit 10 out of range 0..9"}, nil},
		{"bad_digit_dup.toml", []string{"bad_digit_dup.toml:3: data.digits: digit 1 appears twice in [1,1,2]"}, nil},
		{"bad_digits_short.toml", []string{"bad_digits_short.toml:3: data.digits: needs at least 2 digits, got [3]"}, nil},
		{"bad_classes_digits.toml", []string{"bad_classes_digits.toml:3: data.classes: must equal the number of data.digits", "got 2"}, nil},
		{"bad_dim_le_classes.toml", []string{"bad_dim_le_classes.toml:3: data.dim: must be >= data.classes + 1 = 5, got 4"}, nil},
		{"bad_noise_ge1.toml", []string{"bad_noise_ge1.toml:2: data.noise: must be in [0, 1), got 1"}, nil},
		{"bad_norm_spread.toml", []string{"bad_norm_spread.toml:2: data.norm_spread: must be >= 1, got 0.5"}, nil},
		{"bad_million.toml", []string{"bad_million.toml:3: model.init_scale: the grid has 1001000 runs", "more than 1000000", "--yes"}, nil},
		{"bad_dim_mnist.toml", []string{"bad_dim_mnist.toml:3: data.dim: applies to synthetic data only", "got 50"}, nil},
		{"bad_epochs_gd.toml", []string{"bad_epochs_gd.toml:3: train.epochs: applies to method sgd only", "got 10"}, nil},
		{"bad_wrong_bool.toml", []string{"bad_wrong_bool.toml:3: data.center: expected true or false"}, nil},
		{"bad_steps.toml", []string{"bad_steps.toml:3: train.time: gives round(train.time / train.lr)", "must be in [1, 1e9]"}, nil},
		{"bad_sgd_steps.toml", []string{"bad_sgd_steps.toml:3: train.batch: ", "more than 1e9"}, nil},
		{"bad_norm_spread_huge.toml", []string{"bad_norm_spread_huge.toml:2: data.norm_spread: must be <= 1e+06, got 1e+300", "overflow"}, nil},
		{"bad_init_scale_huge.toml", []string{"bad_init_scale_huge.toml:2: model.init_scale: must be <= 1e+06, got 1e+07", "overflow"}, nil},
		{"bad_lr_huge.toml", []string{"bad_lr_huge.toml:3: train.lr: must be <= 1e+06, got 1e+07"}, []string{"train.time"}},
		{"bad_lr_negative.toml", []string{"bad_lr_negative.toml:3: train.lr: must be > 0, got -0.01"}, []string{"train.time", "steps"}},
		{"bad_datetime.toml", []string{"bad_datetime.toml:2: train.lr: expected a number, got a date/time"}, []string{"time.Time"}},
		{"bad_hard_limit.toml", []string{"bad_hard_limit.toml:2: seed: the grid has 99000000 runs", "more than 10000000, the hard limit even with --yes"}, []string{"ncsweep --yes", "1000000;"}},
		{"bad_file_missing.toml", []string{"bad_file_missing.toml:3: data.path: no such file: no-such-table.csv", "current directory"}, nil},
		{"bad_file_dir.toml", []string{"bad_file_dir.toml:4: data.path: . (", "is a directory, not a regular file"}, nil},
		{"bad_init_file_device.toml", []string{"bad_init_file_device.toml:3: model.init_w: /dev/zero is a device, not a regular file",
			"bad_init_file_device.toml:4: model.init_v: /dev/null is a device"}, nil},
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "specs", "bad_*.toml"))
	if len(files) != len(cases) {
		t.Errorf("%d bad_*.toml files but %d cases: every bad spec needs an expectation", len(files), len(cases))
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			plan, err := parseTestdata(t, c.file, Options{})
			if err == nil {
				t.Fatalf("parsed with %d runs, want an error", len(plan.Runs))
			}
			if !IsSpecError(err) {
				t.Fatalf("error %v (%T) is not a SpecError", err, err)
			}
			for _, l := range leaves(err) {
				var se *SpecError
				if !errors.As(l, &se) {
					t.Errorf("joined error %v is not a SpecError", l)
				}
			}
			msg := err.Error()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error\n  %s\nlacks %q", msg, w)
				}
			}
			for _, w := range c.not {
				if strings.Contains(msg, w) {
					t.Errorf("error\n  %s\ncontains %q", msg, w)
				}
			}
		})
	}
}

func TestSyntaxErrorWrapsParseError(t *testing.T) {
	_, err := Parse("x.toml", []byte("a = [1,\nb = 2\n"), Options{})
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v does not wrap a toml.ParseError", err)
	}
	var se *SpecError
	if !errors.As(err, &se) || se.Line != pe.Position.Line || se.Line == 0 {
		t.Fatalf("SpecError line %v, ParseError line %d", se, pe.Position.Line)
	}
}

func TestSeveralProblemsReported(t *testing.T) {
	text := "[model]\nwidth = 0\ninit_scale = -1\n[train]\nlos = \"ce\"\n"
	_, err := Parse("s.toml", []byte(text), Options{})
	// The unknown key stops parsing before values are checked.
	if got := len(leaves(err)); got != 1 || !strings.Contains(err.Error(), "s.toml:5: train.los:") {
		t.Fatalf("got %d errors: %v", got, err)
	}
	text = "[model]\nwidth = 0\ninit_scale = -1\n"
	_, err = Parse("s.toml", []byte(text), Options{})
	if got := len(leaves(err)); got != 2 {
		t.Fatalf("got %d errors, want 2: %v", got, err)
	}
	for _, w := range []string{"s.toml:2: model.width:", "s.toml:3: model.init_scale:"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%v lacks %q", err, w)
		}
	}
}

func TestQuickSpecExpansion(t *testing.T) {
	plan, err := parseTestdata(t, "quick.toml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Name != "quick" || len(plan.Runs) != 12 {
		t.Fatalf("name %q, %d runs; want quick, 2 seeds x 2 zipped (dim,width) x 3 eps = 12", plan.Name, len(plan.Runs))
	}
	wantAxes := []struct {
		key string
		n   int
		zip int
	}{{"seed", 2, -1}, {"data.dim", 2, 0}, {"model.width", 2, 0}, {"model.init_scale", 3, -1}}
	if len(plan.Axes) != len(wantAxes) {
		t.Fatalf("axes %+v", plan.Axes)
	}
	for i, w := range wantAxes {
		a := plan.Axes[i]
		if a.Key != w.key || len(a.Values) != w.n || a.Zip != w.zip {
			t.Errorf("axis %d = %+v, want %+v", i, a, w)
		}
	}
	eps := []float64{1e-4, 1e-2, 1}
	i := 0
	for _, seed := range []int64{1, 2} {
		for _, dw := range [][2]int{{10, 20}, {20, 40}} {
			for _, e := range eps {
				r := plan.Runs[i]
				s := r.Spec
				if r.Index != i || r.Sweep != "quick" || s.Seed != seed || s.Data.Dim != dw[0] || s.Model.Width != dw[1] || s.Model.InitScale != e {
					t.Errorf("run %d = %+v, want seed %d dim %d width %d eps %g", i, r, seed, dw[0], dw[1], e)
				}
				if s.Data.PerClass != 20 || s.Train.Time != 20 || s.Train.Loss != "exp" {
					t.Errorf("run %d: fixed keys not applied: %+v", i, s)
				}
				i++
			}
		}
	}
}

func TestMnistSpecResolution(t *testing.T) {
	plan, err := parseTestdata(t, "mnist.toml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Runs) != 1 || len(plan.Axes) != 0 {
		t.Fatalf("%d runs, axes %v", len(plan.Runs), plan.Axes)
	}
	got := plan.Runs[0].Spec
	want := core.Spec{
		Seed: 1,
		Data: core.DataSpec{Kind: "mnist", Classes: 3, PerClass: 0, TestPerClass: 0, Dim: 784,
			Digits: []int{0, 1, 2}, Center: true},
		Model: core.ModelSpec{Width: 50, Init: "paper", InitScale: 1e-3},
		Train: core.TrainSpec{Loss: "ce", Method: "sgd", LR: 0.1, Epochs: 50, Batch: 1000},
	}
	if Canonical(got) != Canonical(want) {
		t.Fatalf("resolved\n%s\nwant\n%s", Canonical(got), Canonical(want))
	}
}

func TestMulticlassSpec(t *testing.T) {
	plan, err := parseTestdata(t, "multiclass.toml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	// classes (3) x noise linspace (2) x width range [10, 30, 10) (2): the
	// tables appear in the file in the order train, model, data, but the
	// grid follows the key table: classes slowest, width fastest.
	if len(plan.Runs) != 12 || plan.Name != "multiclass" {
		t.Fatalf("%d runs, name %q", len(plan.Runs), plan.Name)
	}
	i := 0
	for _, k := range []int{3, 4, 5} {
		for _, noise := range []float64{0.25, 0.75} {
			for _, h := range []int{10, 20} {
				s := plan.Runs[i].Spec
				if s.Data.Classes != k || s.Data.Noise != noise || s.Model.Width != h || s.Seed != 7 || s.Train.Loss != "ce" {
					t.Errorf("run %d: %+v, want K=%d noise=%g width=%d", i, s, k, noise, h)
				}
				i++
			}
		}
	}
}

func TestDefaults(t *testing.T) {
	plan, err := Parse("dir/empty.toml", nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := core.Spec{
		Seed:  1,
		Data:  core.DataSpec{Kind: "synthetic", Classes: 2, PerClass: 50, TestPerClass: 100, Dim: 20, Noise: 0.5, NormSpread: 2},
		Model: core.ModelSpec{Width: 50, Init: "gaussian", InitScale: 1e-3},
		Train: core.TrainSpec{Loss: "exp", Method: "gd", LR: 0.01, Time: 100},
	}
	if plan.Name != "empty" || len(plan.Runs) != 1 || Canonical(plan.Runs[0].Spec) != Canonical(want) {
		t.Fatalf("name %q, runs %+v", plan.Name, plan.Runs)
	}
	// Defaults that depend on other keys.
	plan, err = Parse("d.toml", []byte("[data]\nclasses = 4\n[train]\nmethod = \"sgd\"\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := plan.Runs[0].Spec
	if s.Train.Loss != "ce" || s.Train.LR != 0.1 || s.Train.Epochs != 50 || s.Train.Batch != 1000 || s.Train.Time != 0 {
		t.Fatalf("K=4 sgd defaults: %+v", s.Train)
	}
	plan, err = Parse("d.toml", []byte("[data]\nkind = \"mnist\"\ndigits = [3, 8]\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s = plan.Runs[0].Spec
	if s.Data.Classes != 2 || s.Data.Dim != 784 || !s.Data.Center || s.Train.Loss != "exp" || s.Data.Noise != 0 {
		t.Fatalf("mnist defaults: %+v", s)
	}
}

func TestNumericCoercion(t *testing.T) {
	text := "[data]\nnoise = 0\nper_class = 30.0\n[model]\ninit_scale = 1\nwidth = [50.0, 60]\n[train]\nlr = [1, 2]\ntime = 10\n"
	plan, err := Parse("c.toml", []byte(text), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Runs) != 4 {
		t.Fatalf("%d runs", len(plan.Runs))
	}
	s := plan.Runs[3].Spec
	if s.Data.Noise != 0 || s.Data.PerClass != 30 || s.Model.InitScale != 1 || s.Model.Width != 60 || s.Train.LR != 2 {
		t.Fatalf("%+v", s)
	}
	// -0 and 0 are one value: the same run.
	a, err1 := Parse("a.toml", []byte("[data]\nnoise = -0.0\n"), Options{})
	b, err2 := Parse("b.toml", []byte("[data]\nnoise = 0\n"), Options{})
	if err1 != nil || err2 != nil || a.Runs[0].ID != b.Runs[0].ID {
		t.Fatalf("-0 vs 0: %v %v", err1, err2)
	}
}

// axisValues parses a one-key spec and returns the resolved values.
func axisValues(t *testing.T, text string, get func(core.Spec) float64) []float64 {
	t.Helper()
	plan, err := Parse("v.toml", []byte(text), Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(plan.Runs))
	for i, r := range plan.Runs {
		out[i] = get(r.Spec)
	}
	return out
}

func TestRangeTables(t *testing.T) {
	eps := func(s core.Spec) float64 { return s.Model.InitScale }
	noise := func(s core.Spec) float64 { return s.Data.Noise }
	width := func(s core.Spec) float64 { return float64(s.Model.Width) }
	seed := func(s core.Spec) float64 { return float64(s.Seed) }
	cases := []struct {
		name, text string
		get        func(core.Spec) float64
		want       []float64
	}{
		{"logspace exact", "[model]\ninit_scale = { logspace = [-4, 0, 3] }", eps, []float64{1e-4, 1e-2, 1}},
		{"logspace 7", "[model]\ninit_scale = { logspace = [-6, 0, 7] }", eps, []float64{1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1}},
		{"logspace half", "[model]\ninit_scale = { logspace = [-1, 0, 3] }", eps, []float64{0.1, 0.31622776601683794, 1}},
		{"linspace", "[data]\nnoise = { linspace = [0, 0.5, 5] }", noise, []float64{0, 0.125, 0.25, 0.375, 0.5}},
		{"linspace one", "[data]\nnoise = { linspace = [0.3, 0.9, 1] }", noise, []float64{0.3}},
		{"linspace ints", "[model]\nwidth = { linspace = [10, 30, 3] }", width, []float64{10, 20, 30}},
		{"range ints", "seed = { range = [1, 4, 1] }", seed, []float64{1, 2, 3}},
		{"range down", "seed = { range = [10, 0, -3] }", seed, []float64{10, 7, 4, 1}},
		{"range floats", "[data]\nnoise = { range = [0, 0.3, 0.1] }", noise, []float64{0, 0.1, 0.2}},
		{"range ints for floats", "[data]\nnoise = { range = [0, 1, 2] }", noise, []float64{0}},
		{"range table syntax", "[model.init_scale]\nlogspace = [-2, -1, 2]", eps, []float64{0.01, 0.1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := axisValues(t, c.text, c.get)
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("value %d = %v, want exactly %v", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestDigitsAxis(t *testing.T) {
	plan, err := Parse("d.toml", []byte("[data]\nkind = \"mnist\"\ndigits = [[0, 1], [2, 5, 7]]\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Runs) != 2 || plan.Runs[1].Spec.Data.Classes != 3 || plan.Runs[1].Spec.Data.Digits[2] != 7 ||
		plan.Runs[0].Spec.Train.Loss != "exp" || plan.Runs[1].Spec.Train.Loss != "ce" {
		t.Fatalf("%+v", plan.Runs)
	}
	if got := plan.Axes[0].Values; len(got) != 2 || got[1] != "[2,5,7]" {
		t.Fatalf("axis values %q", got)
	}
}

func TestOverrides(t *testing.T) {
	sets := []string{`model.width=[64,128]`, `train.loss=logistic`, `seed={range=[1,4,1]}`, `data.per_class = 7`}
	plan, err := parseTestdata(t, "quick.toml", Options{Sets: sets})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Runs) != 3*2*3 {
		t.Fatalf("%d runs, want 18", len(plan.Runs))
	}
	last := plan.Runs[17].Spec
	if last.Seed != 3 || last.Model.Width != 128 || last.Data.Dim != 20 || last.Train.Loss != "logistic" || last.Data.PerClass != 7 {
		t.Fatalf("last run %+v", last)
	}
	base, err := parseTestdata(t, "quick.toml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if base.SpecHash == plan.SpecHash || base.SpecText != plan.SpecText || len(base.SpecHash) != 64 {
		t.Fatalf("spec hash must cover overrides: %s %s", base.SpecHash, plan.SpecHash)
	}
	// An override may create a table the file lacks.
	p2, err := Parse("e.toml", nil, Options{Sets: []string{"data.kind=mnist", `name="x"`}})
	if err != nil || p2.Runs[0].Spec.Data.Kind != "mnist" || p2.Name != "x" {
		t.Fatalf("%v %+v", err, p2)
	}
	bad := []struct{ set, want string }{
		{"model.widht=3", "--set: model.widht: unknown key (did you mean model.width?)"},
		{"model.width", "not of the form key=value"},
		{"model.width=[1,", "--set: model.width: value"},
		{"model.width=[0,5]", "--set: model.width: must be >= data.classes = 2, got 0"},
		{"model.width=[\"a\"]", "--set: model.width: element 1 of the list: expected an integer"},
		{"foo.bar=3", "--set: foo.bar: unknown key: there is no table [foo]; valid tables: [data], [model], [train], [sweep]"},
		{"modle.bar=3", "there is no table [modle] (did you mean [model]?)"},
		{"data=3", "--set: data: [data] is a table, not a key: set one of its keys, e.g. --set data.dim=30; keys of [data]: data.kind,"},
		{"train.lr=1e400", "--set: train.lr: value \"1e400\": not a TOML value: 1e400 is out of range for float64"},
		{"seed=99_999_999_999_999_999_999", "out of range for int64"},
		{"train.lr=1979-05-27", "--set: train.lr: expected a number, got a date/time"},
	}
	for _, b := range bad {
		_, err := parseTestdata(t, "quick.toml", Options{Sets: []string{b.set}})
		if err == nil || !IsSpecError(err) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("--set %s: error %v, want %q", b.set, err, b.want)
		}
	}
}

func TestAllowHugeHardLimit(t *testing.T) {
	text := "seed = { range = [0, 1000, 1] }\n[model]\nwidth = { range = [50, 1050, 1] }\ninit_scale = { logspace = [-6, 0, 100] }\n"
	_, err := Parse("h.toml", []byte(text), Options{AllowHuge: true})
	if err == nil || !strings.Contains(err.Error(), "the grid has 100000000 runs") || !strings.Contains(err.Error(), "hard limit") {
		t.Fatalf("error %v", err)
	}
}

func TestAllowHuge(t *testing.T) {
	if testing.Short() {
		t.Skip("expands a grid of 1,001,000 runs")
	}
	plan, err := parseTestdata(t, "bad_million.toml", Options{AllowHuge: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Runs) != 1001000 || plan.Runs[1001000-1].Spec.Seed != 999 {
		t.Fatalf("%d runs", len(plan.Runs))
	}
}

func TestMixedKindAxis(t *testing.T) {
	// Keys that do not apply are allowed at their default: data.noise = 0.5
	// is fine for the mnist runs, and shown as "-" in the plan.
	text := "[data]\nkind = [\"synthetic\", \"mnist\"]\nnoise = [0.5]\n"
	plan, err := Parse("m.toml", []byte(text), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := plan.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 4 || lines[0] != "2 runs" {
		t.Fatalf("table:\n%s", b.String())
	}
	if f := strings.Fields(lines[2]); len(f) != 4 || f[2] != "synthetic" || f[3] != "0.5" {
		t.Errorf("row 0 %q", f)
	}
	if f := strings.Fields(lines[3]); len(f) != 4 || f[2] != "mnist" || f[3] != "-" {
		t.Errorf("row 1 %q", f)
	}
	// A non-default value errs for the mnist runs only, naming the key.
	_, err = Parse("m.toml", []byte("[data]\nkind = [\"synthetic\", \"mnist\"]\nnoise = 0.25\n"), Options{})
	if err == nil || !strings.Contains(err.Error(), "m.toml:3: data.noise: applies to synthetic data only") {
		t.Fatalf("error %v", err)
	}
}

func TestWriteTable(t *testing.T) {
	plan, err := parseTestdata(t, "quick.toml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := plan.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 14 || lines[0] != "12 runs" {
		t.Fatalf("table:\n%s", b.String())
	}
	if got := strings.Fields(lines[1]); strings.Join(got, " ") != "index run_id seed data.dim model.width model.init_scale" {
		t.Errorf("header %q", got)
	}
	want := []string{"5", plan.Runs[5].ID, "1", "20", "40", "1"}
	if got := strings.Fields(lines[7]); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("row 5 %q, want %q", got, want)
	}
	// Aligned: every column starts at the same offset on every line.
	col := strings.Index(lines[1], "model.init_scale")
	for _, l := range lines[2:] {
		if l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("misaligned row %q", l)
		}
	}
}

func TestParseFileMissing(t *testing.T) {
	_, err := ParseFile(filepath.Join(t.TempDir(), "none.toml"), Options{})
	if !IsSpecError(err) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("error %v: want a SpecError wrapping ErrNotExist", err)
	}
}
