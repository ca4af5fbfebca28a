package sweep

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseTimeout(t *testing.T) {
	cases := []struct {
		raw     any
		want    time.Duration
		problem string // substring of the problem, "" for none
	}{
		{"10m", 10 * time.Minute, ""},
		{" 1h30m ", 90 * time.Minute, ""},
		{"250ms", 250 * time.Millisecond, ""},
		{int64(90), 90 * time.Second, ""},
		{1.5, 1500 * time.Millisecond, ""},
		{"ten minutes", 0, "not a duration"},
		{"-5s", 0, "> 0"},
		{"0s", 0, "> 0"},
		{int64(0), 0, "> 0"},
		{int64(-3), 0, "> 0"},
		{-0.5, 0, "> 0"},
		{math.NaN(), 0, "finite"},
		{math.Inf(1), 0, "finite"},
		{"9000h", 0, "at most a year"},
		{int64(1 << 40), 0, "at most a year"},
		{1e300, 0, "at most a year"},
		{[]any{"1m", "2m"}, 0, "cannot be an axis"},
		{true, 0, "expected a duration"},
	}
	for _, c := range cases {
		got, problem := parseTimeout(c.raw)
		if c.problem == "" {
			if problem != "" || got != c.want {
				t.Errorf("parseTimeout(%v) = %v, %q; want %v", c.raw, got, problem, c.want)
			}
			continue
		}
		if !strings.Contains(problem, c.problem) {
			t.Errorf("parseTimeout(%v): problem %q, want it to mention %q", c.raw, problem, c.problem)
		}
	}
}

// TestTimeoutKeyKeepsRunIDs checks that train.timeout reaches every run and
// leaves run_ids unchanged (it is not part of the identity).
func TestTimeoutKeyKeepsRunIDs(t *testing.T) {
	base := "seed = [1, 2]\n[model]\nwidth = [4, 8]\n[train]\ntime = 1\n"
	without, err := Parse("t.toml", []byte(base), Options{})
	if err != nil {
		t.Fatal(err)
	}
	with, err := Parse("t.toml", []byte(base+"timeout = \"2m\"\n"), Options{})
	if err != nil && strings.Contains(err.Error(), "unknown key") {
		t.Skip("train.timeout is not yet wired into Parse (see isRunOnlyKey and applyRunKeys in runkeys.go)")
	}
	if err != nil {
		t.Fatal(err)
	}
	set, err := Parse("t.toml", []byte(base), Options{Sets: []string{"train.timeout=45"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(with.Runs) != len(without.Runs) || len(set.Runs) != len(without.Runs) {
		t.Fatalf("run counts %d, %d, %d differ", len(without.Runs), len(with.Runs), len(set.Runs))
	}
	for i := range without.Runs {
		if with.Runs[i].ID != without.Runs[i].ID || set.Runs[i].ID != without.Runs[i].ID {
			t.Errorf("run %d: train.timeout changed the run_id", i)
		}
		if without.Runs[i].Timeout != 0 || with.Runs[i].Timeout != 2*time.Minute || set.Runs[i].Timeout != 45*time.Second {
			t.Errorf("run %d: timeouts %v, %v, %v; want 0, 2m, 45s", i, without.Runs[i].Timeout, with.Runs[i].Timeout, set.Runs[i].Timeout)
		}
	}
	_, err = Parse("t.toml", []byte(base+"timeout = [\"1m\", \"2m\"]\n"), Options{})
	var se *SpecError
	if !errors.As(err, &se) || se.Key != keyTimeout || se.Line != 6 {
		t.Errorf("a list of timeouts: got %v, want a SpecError on train.timeout at line 6", err)
	}
}
