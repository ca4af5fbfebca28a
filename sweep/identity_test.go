package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// writeFile writes text to dir/name, creating folders.
func writeFile(t *testing.T, dir, name, text string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// parseIn parses text with dir as the current directory (where relative
// input paths are read from) and returns the single run.
func parseIn(t *testing.T, dir, text string) RunConfig {
	t.Helper()
	t.Chdir(dir)
	plan, err := Parse("f.toml", []byte(text), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Runs) != 1 {
		t.Fatalf("%d runs", len(plan.Runs))
	}
	return plan.Runs[0]
}

// TestRunIDCoversInputFileContents checks that the run ID of a run reading
// input files hashes what they contain: the same relative path in two
// folders, or an edited file, gives a new ID; a moved file keeps it. The
// expected ID is recomputed from the documented form with crypto/sha256.
func TestRunIDCoversInputFileContents(t *testing.T) {
	const spec = "[data]\nkind = \"file\"\npath = \"train.csv\"\nclasses = 2\n"
	const a, b = "x,label\n1,0\n-1,1\n", "x,label\n2,0\n-2,1\n"
	d1, d2 := t.TempDir(), t.TempDir()
	writeFile(t, d1, "train.csv", a)
	writeFile(t, d2, "train.csv", b)
	r1 := parseIn(t, d1, spec)
	r2 := parseIn(t, d2, spec)
	if r1.ID == r2.ID {
		t.Fatalf("same relative path, different contents: both IDs %s", r1.ID)
	}
	if r1.Spec.Data.Path != "train.csv" {
		t.Fatalf("resolved data.path %q, want the path as written", r1.Spec.Data.Path)
	}
	// The documented identity: the canonical form without the path, then a
	// line per input file with the SHA-256 of its bytes.
	blank := r1.Spec
	blank.Data.Path = ""
	sumA := sha256.Sum256([]byte(a))
	id := sha256.Sum256([]byte(Canonical(blank) + "file data.path sha256=" + hex.EncodeToString(sumA[:]) + " format=.csv\n"))
	if want := hex.EncodeToString(id[:8]); r1.ID != want {
		t.Fatalf("ID %s, want %s", r1.ID, want)
	}
	if r1.ID == RunID(r1.Spec) {
		t.Fatalf("ID %s ignores the file", r1.ID)
	}

	// Editing the file changes the ID; restoring it restores the ID.
	writeFile(t, d1, "train.csv", b)
	if r := parseIn(t, d1, spec); r.ID != r2.ID {
		t.Errorf("after the edit the contents equal d2's: ID %s, want %s", r.ID, r2.ID)
	}
	writeFile(t, d1, "train.csv", a+"3,0\n")
	if r := parseIn(t, d1, spec); r.ID == r1.ID || r.ID == r2.ID {
		t.Errorf("edited file kept an earlier ID %s", r.ID)
	}

	// Moving the data keeps the ID (content, not path), also as an absolute path.
	writeFile(t, d2, "moved/elsewhere.csv", a)
	moved := strings.Replace(spec, "train.csv", "moved/elsewhere.csv", 1)
	if r := parseIn(t, d2, moved); r.ID != r1.ID {
		t.Errorf("moved file: ID %s, want %s", r.ID, r1.ID)
	}
	abs := strings.Replace(spec, "train.csv", filepath.ToSlash(filepath.Join(d2, "moved", "elsewhere.csv")), 1)
	if r := parseIn(t, d1, abs); r.ID != r1.ID {
		t.Errorf("absolute path: ID %s, want %s", r.ID, r1.ID)
	}

	// A test table is a second input: adding it changes the ID.
	writeFile(t, d2, "test.csv", a)
	withTest := spec + "test_path = \"test.csv\"\n"
	if r := parseIn(t, d2, withTest); r.ID == r2.ID {
		t.Errorf("test table ignored: ID %s", r.ID)
	}
}

// TestRunIDInitFilesByKey checks model.init = "file": the key a content is
// read as is part of the identity (W0 and V0 swapped is another run), and
// the data kind's files and the init files are hashed together.
func TestRunIDInitFilesByKey(t *testing.T) {
	d := t.TempDir()
	writeFile(t, d, "p.csv", "1,2\n")
	writeFile(t, d, "q.csv", "3,4\n")
	const spec = "[model]\ninit = \"file\"\ninit_w = %q\ninit_v = %q\ninit_scale = 1\n"
	pq := parseIn(t, d, fmt.Sprintf(spec, "p.csv", "q.csv"))
	qp := parseIn(t, d, fmt.Sprintf(spec, "q.csv", "p.csv"))
	if pq.ID == qp.ID {
		t.Fatalf("W0 and V0 swapped: same ID %s", pq.ID)
	}
	writeFile(t, d, "q.csv", "3,5\n")
	if r := parseIn(t, d, fmt.Sprintf(spec, "p.csv", "q.csv")); r.ID == pq.ID {
		t.Fatalf("edited V0: same ID %s", r.ID)
	}
}

// TestInputFileErrors checks that a missing file, a folder, a link to a
// device and an empty path are SpecErrors naming the key, the line and the
// path, for every input-file key.
func TestInputFileErrors(t *testing.T) {
	d := t.TempDir()
	t.Chdir(d)
	writeFile(t, d, "ok.csv", "x,label\n1,0\n")
	if err := os.Mkdir(filepath.Join(d, "folder.csv"), 0o755); err != nil {
		t.Fatal(err)
	}
	hasZero := false
	if fi, err := os.Stat("/dev/zero"); err == nil && fi.Mode()&os.ModeDevice != 0 {
		hasZero = os.Symlink("/dev/zero", filepath.Join(d, "zero.npy")) == nil
	}
	cases := []struct {
		text, key string
		line      int
		want      string
		notExist  bool
		needsZero bool
	}{
		{"[data]\nkind = \"file\"\npath = \"none.csv\"\n", "data.path", 3, "no such file: none.csv (relative paths are read from the current directory: " + filepath.Join(d, "none.csv"), true, false},
		{"[data]\nkind = \"file\"\npath = \"folder.csv\"\n", "data.path", 3, "folder.csv (", false, false},
		{"[data]\nkind = \"file\"\npath = \"ok.csv\"\n\ntest_path = \"folder.csv\"\n", "data.test_path", 5, "is a directory, not a regular file", false, false},
		{"[model]\ninit = \"file\"\ninit_w = \"zero.npy\"\ninit_v = \"ok.csv\"\n", "model.init_w", 3, "zero.npy (relative paths are read from the current directory: " + filepath.Join(d, "zero.npy") + ") is a device, not a regular file", false, true},
		{"[model]\ninit = \"file\"\ninit_w = \"ok.csv\"\ninit_v = \"gone.npy\"\n", "model.init_v", 4, "no such file: gone.npy", true, false},
		{"[data]\nkind = \"file\"\npath = [\"ok.csv\", \"none.csv\"]\n", "data.path", 3, "no such file: none.csv", true, false},
	}
	for _, c := range cases {
		if c.needsZero && !hasZero {
			t.Logf("no /dev/zero: skipping %s", c.key)
			continue
		}
		_, err := Parse("f.toml", []byte(c.text), Options{})
		var se *SpecError
		if !errors.As(err, &se) {
			t.Errorf("%q: error %v is not a SpecError", c.text, err)
			continue
		}
		if se.Key != c.key || se.Line != c.line || se.File != "f.toml" || !strings.Contains(se.Msg, c.want) {
			t.Errorf("%q: got %s:%d %s: %s; want line %d, key %s, %q", c.text, se.File, se.Line, se.Key, se.Msg, c.line, c.key, c.want)
		}
		if c.notExist != errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%q: errors.Is(err, fs.ErrNotExist) = %v", c.text, !c.notExist)
		}
	}
	// An override is reported as such.
	_, err := Parse("f.toml", []byte("[data]\nkind = \"file\"\npath = \"ok.csv\"\n"), Options{Sets: []string{"data.path=none.csv"}})
	if err == nil || !strings.Contains(err.Error(), "--set: data.path: no such file: none.csv") {
		t.Errorf("override: %v", err)
	}
}
