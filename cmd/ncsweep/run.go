package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ncsweep/ncsweep/core"
	"github.com/ncsweep/ncsweep/results"
	"github.com/ncsweep/ncsweep/sweep"
)

// runFlags are the flags of `ncsweep run`.
type runFlags struct {
	commonFlags
	out           string
	jobs          int
	timeout       time.Duration
	retryFailed   bool
	flushRows     int
	flushInterval time.Duration
	quiet         bool
}

// cmdRun runs a sweep and returns the exit code.
func cmdRun(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("run", "run [SPEC] [--out DIR] [--jobs N] [--shard i/n] [--set key=value]...", stderr)
	var f runFlags
	f.register(fs)
	fs.StringVar(&f.out, "out", "out", "output directory (runs/*.parquet and manifest.json)")
	fs.IntVar(&f.jobs, "jobs", defaultJobs(), "runs in parallel")
	fs.DurationVar(&f.timeout, "timeout", 0, "per-run time limit, e.g. 10m (0: none); a run over it gets status timeout")
	fs.BoolVar(&f.retryFailed, "retry-failed", false, "re-run runs whose earlier row is failed, diverged or timeout")
	fs.IntVar(&f.flushRows, "flush-rows", 64, "publish a Parquet part file every this many rows")
	fs.DurationVar(&f.flushInterval, "flush-interval", 30*time.Second, "publish buffered rows at least this often")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress output")
	specPath, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if f.jobs < 1 {
		return exitUsage, usagef("--jobs must be at least 1, got %d", f.jobs)
	}
	plan, err := loadPlan(specPath, &f.commonFlags)
	if err != nil {
		return exitUsage, err
	}
	shard, err := resolveShard(f.shard)
	if err != nil {
		return exitUsage, err
	}
	runs := shard.Select(plan.Runs)

	done, err := finishedRuns(f.out, f.retryFailed)
	if err != nil {
		return exitRunsFailed, err
	}
	todo := runs[:0:0]
	for _, r := range runs {
		if !done[r.ID] {
			todo = append(todo, r)
		}
	}
	skipped := len(runs) - len(todo)

	// Build one dataset per data source before anything is written, so that
	// missing or broken data files are an input error (exit 2) that leaves
	// the output untouched.
	cache := sweep.NewDatasetCache(nil)
	if err := preflight(todo, cache); err != nil {
		return exitUsage, usageError{err}
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var signalled atomic.Int32
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			code := int32(exitInterrupted)
			if s == syscall.SIGTERM {
				code = 143
			}
			if !signalled.CompareAndSwap(0, code) {
				fmt.Fprintf(stderr, "\nncsweep: second signal, exiting at once\n")
				os.Exit(int(code))
			}
			fmt.Fprintf(stderr, "\nncsweep: %v: finishing, saving finished runs (signal again to exit at once)\n", s)
			stop()
		}
	}()

	started := time.Now().UTC()
	host, _ := os.Hostname()
	w, err := results.NewWriter(f.out, results.WriterOptions{
		Prefix:        partPrefix(shard, started),
		FlushRows:     f.flushRows,
		FlushInterval: f.flushInterval,
	})
	if err != nil {
		return exitRunsFailed, fmt.Errorf("opening output %s: %w", f.out, err)
	}
	counts := map[string]int{}
	prog := newProgress(stderr, len(todo), skipped, f.quiet)
	sink := func(o sweep.Outcome) error {
		if o.Result.Status == core.StatusCanceled {
			counts[core.StatusCanceled]++ // unfinished: not written, a resume redoes it
			return nil
		}
		var stats core.DataStats
		var nTrain, nTest int
		if o.Data != nil {
			stats, nTrain, nTest = o.Data.Stats, o.Data.Train.N, o.Data.Test.N
		}
		row := results.NewRow(o.Run, stats, nTrain, nTest, o.Result, results.RunMeta{
			SpecHash: plan.SpecHash, Host: host, Shard: shard.String(),
			StartedAt: o.Started, Duration: o.Duration,
		})
		counts[row.Status]++
		prog.add(row.Status)
		return w.Write(row)
	}
	execErr := sweep.Execute(ctx, todo, sweep.ExecOptions{Jobs: f.jobs, Timeout: f.timeout, Datasets: cache}, sink)
	closeErr := w.Close()
	prog.finish()

	m := results.Manifest{
		Sweep: plan.Name, SpecText: plan.SpecText, SpecHash: plan.SpecHash,
		ToolVersion: toolVersion, VCSRevision: vcsRevision(), Host: host,
		Args: os.Args, Shard: shard.String(), StartedAt: started, EndedAt: time.Now().UTC(),
		Counts: results.Counts{Planned: len(runs), Skipped: skipped, OK: counts[core.StatusOK],
			Failed: counts[core.StatusFailed], Diverged: counts[core.StatusDiverged],
			Timeout: counts[core.StatusTimeout], Canceled: counts[core.StatusCanceled]},
	}
	manErr := results.WriteManifest(f.out, m)

	fmt.Fprintf(stderr, "ncsweep: %d runs in plan (shard %s): %d skipped (already done), %d ok, %d failed, %d diverged, %d timeout, %d interrupted; results in %s\n",
		len(runs), shard, skipped, counts[core.StatusOK], counts[core.StatusFailed], counts[core.StatusDiverged],
		counts[core.StatusTimeout], counts[core.StatusCanceled], filepath.Join(f.out, "runs"))

	if err := errors.Join(writeErr(execErr), closeErr, manErr); err != nil {
		return exitRunsFailed, err
	}
	if code := signalled.Load(); code != 0 {
		return int(code), nil
	}
	if len(todo) > counts[core.StatusOK] {
		return exitRunsFailed, nil
	}
	return exitOK, nil
}

// writeErr keeps Execute's error unless it only reports the interruption,
// which the exit code already tells.
func writeErr(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// finishedRuns returns the run_ids already in OUT that a resume skips: every
// row's run, or only ok ones with retryFailed.
func finishedRuns(out string, retryFailed bool) (map[string]bool, error) {
	done := map[string]bool{}
	if _, err := os.Stat(filepath.Join(out, "runs")); errors.Is(err, os.ErrNotExist) {
		return done, nil
	}
	rows, err := results.ReadRuns(out)
	if err != nil {
		return nil, fmt.Errorf("reading earlier results to resume: %w", err)
	}
	for _, r := range rows {
		if r.Status == core.StatusOK || !retryFailed {
			done[r.RunID] = true
		}
	}
	return done, nil
}

// preflight builds the dataset of the first run of each data source (kind and
// path), which reads and checks every data file a sweep will use.
func preflight(runs []sweep.RunConfig, cache *sweep.DatasetCache) error {
	seen := map[string]bool{}
	for _, r := range runs {
		src := r.Spec.Data.Kind + "\x00" + r.Spec.Data.Path
		if seen[src] {
			continue
		}
		seen[src] = true
		if _, err := cache.Get(r.Spec); err != nil {
			return fmt.Errorf("run %s: %w", r.ID, err)
		}
	}
	return nil
}

// partPrefix names this invocation's part files: distinct across shards and
// across restarts.
func partPrefix(s sweep.Shard, t time.Time) string {
	return strings.Join([]string{
		fmt.Sprintf("s%dof%d", s.I, s.N),
		t.Format("20060102T150405Z"),
		fmt.Sprint(os.Getpid()),
	}, "-")
}
