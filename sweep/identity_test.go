package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"github.com/ncsweep/ncsweep/core"
)

const quickReordered = `
[sweep]
zip = [ [ "data.dim", "model.width" ] ]

[train]
time = 20.0
lr = 1e-2
method = "gd"
loss = "exp"

[model]
init_scale = { logspace = [ -4, 0, 3 ] }
init = "gaussian"
width = [ 20, 40 ]

[data]
noise = 0.50
dim = [ 10, 20 ]
test_per_class = 20
per_class = 20
classes = 2
kind = "synthetic"

# The name does not enter run identities.
`

func TestIDsIgnoreFormattingOrderAndName(t *testing.T) {
	a, err := parseTestdata(t, "quick.toml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("other.toml", []byte("seed = [ 1, 2 ]\n"+quickReordered), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Name == b.Name || len(a.Runs) != len(b.Runs) {
		t.Fatalf("names %q %q, runs %d %d", a.Name, b.Name, len(a.Runs), len(b.Runs))
	}
	seen := map[string]bool{}
	for i := range a.Runs {
		if a.Runs[i].ID != b.Runs[i].ID {
			t.Errorf("run %d: IDs %s and %s differ for the same configuration", i, a.Runs[i].ID, b.Runs[i].ID)
		}
		if seen[a.Runs[i].ID] || len(a.Runs[i].ID) != 16 {
			t.Errorf("run %d: ID %q repeated or not 16 hex digits", i, a.Runs[i].ID)
		}
		seen[a.Runs[i].ID] = true
	}
	// Changing one value changes the IDs of the runs it touches only.
	c, err := parseTestdata(t, "quick.toml", Options{Sets: []string{"model.init_scale=[1e-4, 1e-2, 0.5]"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Runs {
		same := a.Runs[i].ID == c.Runs[i].ID
		if changed := i%3 == 2; same == changed {
			t.Errorf("run %d (eps %g vs %g): same ID = %v", i, a.Runs[i].Spec.Model.InitScale, c.Runs[i].Spec.Model.InitScale, same)
		}
	}
}

func TestRunIDIsHashOfCanonical(t *testing.T) {
	plan, err := Parse("d.toml", nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := plan.Runs[0].Spec
	c := Canonical(s)
	sum := sha256.Sum256([]byte(c))
	if want := hex.EncodeToString(sum[:])[:16]; RunID(s) != want || plan.Runs[0].ID != want {
		t.Fatalf("RunID %s, plan ID %s, want %s", RunID(s), plan.Runs[0].ID, want)
	}
	for _, line := range []string{"seed=1\n", "data.kind=\"synthetic\"\n", "model.init_scale=0.001\n", "train.lr=0.01\n", "data.digits=[]\n", "data.center=false\n"} {
		if !strings.Contains(c, line) {
			t.Errorf("canonical form lacks %q:\n%s", line, c)
		}
	}
}

// TestCanonicalCoversEverySpecField changes each field of core.Spec in turn
// and checks that the run ID changes: a field added to core.Spec without a
// key in keyTable fails here.
func TestCanonicalCoversEverySpecField(t *testing.T) {
	base := core.Spec{Seed: 1, Data: core.DataSpec{Kind: "mnist", Digits: []int{0, 1}}}
	id := RunID(base)
	var walk func(v reflect.Value, path string)
	n := 0
	walk = func(v reflect.Value, path string) {
		for i := 0; i < v.NumField(); i++ {
			f, name := v.Field(i), path+v.Type().Field(i).Name
			old := reflect.New(f.Type()).Elem()
			old.Set(f)
			switch f.Kind() {
			case reflect.Struct:
				walk(f, name+".")
				continue
			case reflect.Int, reflect.Int64:
				f.SetInt(f.Int() + 1)
			case reflect.Float64:
				f.SetFloat(f.Float() + 0.5)
			case reflect.String:
				f.SetString(f.String() + "x")
			case reflect.Bool:
				f.SetBool(!f.Bool())
			case reflect.Slice:
				f.Set(reflect.Append(f, reflect.ValueOf(9)))
			default:
				t.Fatalf("field %s of kind %s: extend this test and the canonical form", name, f.Kind())
			}
			n++
			s := reflect.ValueOf(&base).Elem().Interface().(core.Spec)
			if RunID(s) == id {
				t.Errorf("changing core.Spec.%s does not change the run ID: add a key for it to keyTable", name)
			}
			f.Set(old)
		}
	}
	walk(reflect.ValueOf(&base).Elem(), "")
	if RunID(base) != id || n < 20 {
		t.Fatalf("walk did not restore the spec or visited only %d fields", n)
	}
}
