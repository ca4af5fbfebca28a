package sweep

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/BurntSushi/toml"
)

// FuzzParse checks that Parse never panics, that every error is a
// SpecError (a TOML syntax error keeps its position), and that a plan that
// parses is consistent.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "specs", "*.toml"))
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(text)
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		plan, err := Parse("fuzz.toml", text, Options{runLimit: 10000})
		if err != nil {
			for _, l := range leaves(err) {
				var se *SpecError
				if !errors.As(l, &se) {
					t.Fatalf("error %v (%T) is not a SpecError", l, l)
				}
				var pe toml.ParseError
				if errors.As(l, &pe) && se.Line != pe.Position.Line {
					t.Fatalf("syntax error at line %d reported at %d", pe.Position.Line, se.Line)
				}
			}
			return
		}
		if len(plan.Runs) == 0 {
			t.Fatal("a plan without runs")
		}
		ids := map[string]bool{}
		for i, r := range plan.Runs {
			want := RunID(r.Spec)
			if paths := inputPaths(&r.Spec); paths != ([nInputFiles]string{}) {
				var sums [nInputFiles]string
				for j, path := range paths {
					if path != "" {
						sums[j] = hashInputFile(path).sum
					}
				}
				want = idOf(appendIdentity(nil, &r.Spec, &sums))
			}
			if r.Index != i || ids[r.ID] || r.ID != want {
				t.Fatalf("run %d: index %d, id %s repeated or not the run's identity %s", i, r.Index, r.ID, want)
			}
			ids[r.ID] = true
		}
	})
}
