package sweep

import (
	"strings"
	"testing"
)

func gridOf(n int) []RunConfig {
	runs := make([]RunConfig, n)
	for i := range runs {
		runs[i] = RunConfig{ID: string(rune('a'+i%26)) + strings.Repeat("x", i/26), Index: i}
	}
	return runs
}

// TestShardsPartitionTheGrid checks, for every grid size up to 200 and every
// shard count up to 17, that the shards are disjoint, cover the grid, keep
// grid order, and differ in size by at most one run.
func TestShardsPartitionTheGrid(t *testing.T) {
	for n := 0; n <= 200; n++ {
		runs := gridOf(n)
		for N := 1; N <= 17; N++ {
			owner := make([]int, n)
			for i := range owner {
				owner[i] = -1
			}
			minSize, maxSize := n+1, -1
			for i := 0; i < N; i++ {
				sel := Shard{I: i, N: N}.Select(runs)
				minSize, maxSize = min(minSize, len(sel)), max(maxSize, len(sel))
				for j, r := range sel {
					if owner[r.Index] != -1 {
						t.Fatalf("grid %d, %d shards: run %d in shards %d and %d", n, N, r.Index, owner[r.Index], i)
					}
					owner[r.Index] = i
					if j > 0 && sel[j-1].Index >= r.Index {
						t.Fatalf("grid %d, shard %d/%d: not in grid order", n, i, N)
					}
				}
			}
			for k, o := range owner {
				if o == -1 {
					t.Fatalf("grid %d, %d shards: run %d in no shard", n, N, k)
				}
			}
			if maxSize-minSize > 1 {
				t.Fatalf("grid %d, %d shards: sizes from %d to %d", n, N, minSize, maxSize)
			}
			if want := (n + N - 1) / N; maxSize != want {
				t.Fatalf("grid %d, %d shards: largest shard %d, want ceil = %d", n, N, maxSize, want)
			}
		}
	}
}

func TestParseShard(t *testing.T) {
	good := map[string]Shard{"0/1": {0, 1}, "3/4": {3, 4}, " 2 / 5 ": {2, 5}}
	for text, want := range good {
		if got, err := ParseShard(text); err != nil || got != want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", text, got, err, want)
		}
	}
	for _, text := range []string{"", "1", "4/4", "-1/4", "1/0", "a/b", "1/2/3", "0/-2"} {
		if _, err := ParseShard(text); err == nil {
			t.Errorf("ParseShard(%q) accepted", text)
		}
	}
}

func TestShardFromEnv(t *testing.T) {
	cases := []struct {
		env     map[string]string
		want    Shard
		ok      bool
		problem string // substring of the error, "" for none
	}{
		{env: nil, ok: false},
		{env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4"}, want: Shard{2, 4}, ok: true},
		// --array=1-4: task 3 is the third of four.
		{env: map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "4"}, want: Shard{2, 4}, ok: true},
		{env: map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "9"}, want: Shard{0, 10}, ok: true},
		{env: map[string]string{"SLURM_ARRAY_TASK_ID": "2"}, problem: "SLURM_ARRAY_TASK_COUNT"},
		{env: map[string]string{"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "4"}, problem: "SLURM_ARRAY_TASK_ID"},
		{env: map[string]string{"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4"}, problem: "0 <= i < n"},
		{env: map[string]string{"JOB_COMPLETION_INDEX": "1", "NCSWEEP_SHARD_COUNT": "3"}, want: Shard{1, 3}, ok: true},
		{env: map[string]string{"JOB_COMPLETION_INDEX": "1"}, problem: "NCSWEEP_SHARD_COUNT"},
		{env: map[string]string{"JOB_COMPLETION_INDEX": "3", "NCSWEEP_SHARD_COUNT": "3"}, problem: "0 <= i < n"},
	}
	for _, c := range cases {
		got, ok, err := ShardFromEnv(func(k string) string { return c.env[k] })
		if c.problem != "" {
			if err == nil || !strings.Contains(err.Error(), c.problem) {
				t.Errorf("%v: error %v, want one naming %q", c.env, err, c.problem)
			}
			continue
		}
		if err != nil || ok != c.ok || got != c.want {
			t.Errorf("%v: got %v, %v, %v; want %v, %v", c.env, got, ok, err, c.want, c.ok)
		}
	}
}
