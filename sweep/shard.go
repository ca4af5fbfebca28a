package sweep

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard is the part i of n (0 <= I < N) of a grid that one process runs.
// Run k of the grid belongs to shard k mod N: shards are disjoint, cover the
// grid, and differ in size by at most one run; since neighbouring grid
// points usually cost about the same, round-robin also balances their work.
type Shard struct{ I, N int }

// String renders the shard as "i/n".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }

// ParseShard reads "i/n".
func ParseShard(text string) (Shard, error) {
	a, b, ok := strings.Cut(text, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: want i/n, for example 0/4", text)
	}
	if n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: need 0 <= i < n", text)
	}
	return Shard{I: i, N: n}, nil
}

// ShardFromEnv derives the shard from a batch system's environment: SLURM
// array jobs (SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT, or with
// SLURM_ARRAY_TASK_MIN/MAX) or Kubernetes indexed jobs (JOB_COMPLETION_INDEX
// with NCSWEEP_SHARD_COUNT). ok is false when none is set.
func ShardFromEnv(getenv func(string) string) (s Shard, ok bool, err error) {
	num := func(key string) (int, error) {
		v, err := strconv.Atoi(strings.TrimSpace(getenv(key)))
		if err != nil {
			return 0, fmt.Errorf("%s=%q is not an integer", key, getenv(key))
		}
		return v, nil
	}
	if getenv("SLURM_ARRAY_TASK_ID") != "" {
		id, err := num("SLURM_ARRAY_TASK_ID")
		if err != nil {
			return Shard{}, false, err
		}
		min := 0
		if getenv("SLURM_ARRAY_TASK_MIN") != "" {
			if min, err = num("SLURM_ARRAY_TASK_MIN"); err != nil {
				return Shard{}, false, err
			}
		}
		var count int
		switch {
		case getenv("SLURM_ARRAY_TASK_COUNT") != "":
			count, err = num("SLURM_ARRAY_TASK_COUNT")
		case getenv("SLURM_ARRAY_TASK_MAX") != "":
			var max int
			max, err = num("SLURM_ARRAY_TASK_MAX")
			count = max - min + 1
		default:
			err = fmt.Errorf("SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX")
		}
		if err != nil {
			return Shard{}, false, err
		}
		s, err := ParseShard(fmt.Sprintf("%d/%d", id-min, count))
		if err != nil {
			return Shard{}, false, fmt.Errorf("from SLURM array variables (stepped arrays are not supported): %w", err)
		}
		return s, true, nil
	}
	if getenv("JOB_COMPLETION_INDEX") != "" {
		id, err := num("JOB_COMPLETION_INDEX")
		if err != nil {
			return Shard{}, false, err
		}
		if getenv("NCSWEEP_SHARD_COUNT") == "" {
			return Shard{}, false, fmt.Errorf("JOB_COMPLETION_INDEX is set: also set NCSWEEP_SHARD_COUNT to the job's completions")
		}
		count, err := num("NCSWEEP_SHARD_COUNT")
		if err != nil {
			return Shard{}, false, err
		}
		s, err := ParseShard(fmt.Sprintf("%d/%d", id, count))
		return s, err == nil, err
	}
	return Shard{}, false, nil
}

// Select returns the runs of the grid that belong to shard s.
func (s Shard) Select(runs []RunConfig) []RunConfig {
	if s.N <= 1 {
		return runs
	}
	var out []RunConfig
	for _, r := range runs {
		if r.Index%s.N == s.I {
			out = append(out, r)
		}
	}
	return out
}
