package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ncsweep/ncsweep/core"
	"github.com/ncsweep/ncsweep/results"
	"github.com/ncsweep/ncsweep/sweep"
)

// Exit code for SIGTERM (128 + 15), the signal SLURM and Kubernetes send.
const exitTerminated = 143

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

// runHooks lets tests replace the system under a sweep; the zero value is
// the real system.
type runHooks struct {
	// createTemp replaces os.CreateTemp for the part files (a disk that
	// fills up).
	createTemp func(dir, pattern string) (*os.File, error)
}

// cmdRun runs a sweep and returns the exit code.
func cmdRun(args []string, stdout, stderr io.Writer) (int, error) {
	return runSweep(args, stdout, stderr, runHooks{})
}

// runSweep is cmdRun with hooks. In order: parse flags and spec (exit 2),
// select the shard, read what OUT already holds, check every data source
// (exit 2, nothing written), open the output, drop the rows of the runs to
// retry, execute, flush, write the manifest, summarise.
func runSweep(args []string, _, stderr io.Writer, hooks runHooks) (int, error) {
	fs := newFlagSet("run", "run [SPEC] [--out DIR] [--jobs N] [--shard i/n] [--set key=value]...", stderr)
	var f runFlags
	f.register(fs)
	fs.StringVar(&f.out, "out", "out", "output directory (runs/*.parquet and manifest.json)")
	fs.IntVar(&f.jobs, "jobs", defaultJobs(), "runs in parallel")
	fs.Var((*durationFlag)(&f.timeout), "timeout", "per-run time limit, a duration (10m, 90s) or seconds (600); 0: none; with train.timeout in the spec the smaller applies; a run over it gets status timeout")
	fs.BoolVar(&f.retryFailed, "retry-failed", false, "re-run runs whose earlier row is failed, diverged or timeout (their old rows are replaced)")
	fs.IntVar(&f.flushRows, "flush-rows", results.DefaultFlushRows, "publish a Parquet part file every this many rows")
	fs.DurationVar(&f.flushInterval, "flush-interval", results.DefaultFlushInterval, "publish buffered rows at least this often")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress output")
	specPath, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if f.jobs < 1 {
		return exitUsage, usagef("--jobs must be at least 1, got %d", f.jobs)
	}
	if f.out == "" {
		return exitUsage, usagef("--out must name a folder")
	}
	if f.timeout < 0 {
		return exitUsage, usagef("--timeout must not be negative, got %v", f.timeout)
	}

	// Signals are caught from the start, so that an interrupted sweep always
	// ends with 130/143 and whole files, whatever phase it was in.
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var signalled atomic.Int32
	var writing atomic.Bool // set once the output may be touched
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			code := int32(exitInterrupted)
			if s == syscall.SIGTERM {
				code = exitTerminated
			}
			if !signalled.CompareAndSwap(0, code) {
				fmt.Fprintf(stderr, "\nncsweep: second signal (%v), exiting at once; published part files are whole, buffered runs are lost\n", s)
				os.Exit(int(signalled.Load()))
			}
			if !writing.Load() {
				// Still reading the spec or preparing data: nothing to save.
				fmt.Fprintf(stderr, "\nncsweep: %v: interrupted before any run started; nothing written\n", s)
				os.Exit(int(code))
			}
			fmt.Fprintf(stderr, "\nncsweep: %v: starting no more runs, cancelling runs in flight, saving finished runs (signal again to exit at once)\n", s)
			stop()
		}
	}()

	plan, err := loadPlan(specPath, &f.commonFlags)
	if err != nil {
		return exitUsage, err
	}
	shard, err := resolveShard(f.shard)
	if err != nil {
		return exitUsage, err
	}
	runs := shard.Select(plan.Runs)

	prev, err := previousRows(f.out)
	if err != nil {
		return exitRunsFailed, err
	}
	todo := runs[:0:0]
	retry := map[string]bool{}
	for _, r := range runs {
		st, seen := prev.status[r.ID]
		switch {
		case !seen:
			todo = append(todo, r)
		case f.retryFailed && st != core.StatusOK:
			todo = append(todo, r)
			retry[r.ID] = true
		}
	}
	skipped := len(runs) - len(todo)
	// Skipped runs whose row is not ok keep the exit status at 1: the
	// sweep is not done until every planned run is ok.
	skippedNotOK := 0
	for _, r := range runs {
		if st, seen := prev.status[r.ID]; seen && st != core.StatusOK && !retry[r.ID] {
			skippedNotOK++
		}
	}

	// Build one dataset per data source before anything is written, so that
	// missing or broken data files are an input error (exit 2) that leaves
	// the output untouched.
	cache := sweep.NewDatasetCache(nil)
	if err := preflight(todo, cache); err != nil {
		return exitUsage, usageError{err}
	}
	// From here on the output is touched: a signal stops the sweep
	// gracefully, saving what finished.
	writing.Store(true)
	if code := signalled.Load(); code != 0 {
		fmt.Fprintf(stderr, "ncsweep: interrupted before any run started; nothing written\n")
		return int(code), nil
	}
	unlock, err := results.LockShard(f.out, shard.String())
	if errors.Is(err, results.ErrShardBusy) {
		return exitUsage, usageError{fmt.Errorf("%w (wait for it, or run another shard)", err)}
	}
	if err != nil {
		return exitRunsFailed, fmt.Errorf("opening output %s: %w", f.out, err)
	}
	defer unlock()

	started := time.Now().UTC()
	host, _ := os.Hostname()
	w, err := results.NewWriter(f.out, results.WriterOptions{
		Prefix:        partPrefix(shard, started),
		FlushRows:     f.flushRows,
		FlushInterval: f.flushInterval,
		CreateTemp:    hooks.createTemp,
	})
	if err != nil {
		return exitRunsFailed, fmt.Errorf("opening output %s: %w", f.out, err)
	}
	// Every run_id appears once in OUT: the rows of the runs about to be
	// retried go before the new ones are written (and so do stale non-ok
	// rows of runs that also have an ok row, left by an older version or by
	// two processes racing on one output). A crash after this leaves those
	// runs without a row, and the next resume runs them.
	// Trajectory rows of this invocation's runs without a run row (the
	// retried ones, and orphans of a crash between a flush's two parts) go
	// too. Two processes sharing OUT must run disjoint shards of one grid.
	if prev.any {
		drop := func(r results.Row) bool {
			return retry[r.RunID] || (prev.stale[r.RunID] && r.Status != core.StatusOK)
		}
		redo := make(map[string]bool, len(todo))
		for _, r := range todo {
			redo[r.ID] = true
		}
		opt := results.WriterOptions{Prefix: partPrefix(shard, started), CreateTemp: hooks.createTemp}
		if _, err := results.DropRuns(f.out, drop, func(id string) bool { return redo[id] }, opt); err != nil {
			return exitRunsFailed, fmt.Errorf("replacing the rows of the runs to retry: %w", err)
		}
	}
	if prev.dupOK > 0 {
		fmt.Fprintf(stderr, "ncsweep: warning: %d run_ids have several ok rows in %s (two processes wrote the same runs?)\n", prev.dupOK, f.out)
	}

	counts := map[string]int{}
	prog := newProgress(stderr, len(todo), skipped, f.quiet)
	sink := func(o sweep.Outcome) error {
		if o.Result.Status == core.StatusCanceled {
			counts[core.StatusCanceled]++ // unfinished: not written, a resume redoes it
			return nil
		}
		row := results.NewRow(o.Run, o.Data, o.Result, results.RunMeta{
			SpecHash: plan.SpecHash, Host: host, Shard: shard.String(),
			StartedAt: o.Started, Duration: o.Duration,
		})
		counts[row.Status]++
		prog.add(row.Status)
		// The trajectory first: it is published no later than the run row.
		if err := w.WriteTrajectory(results.TrajectoryRows(o.Run, o.Result)); err != nil {
			return err
		}
		return w.Write(row)
	}
	execErr := sweep.Execute(ctx, todo, sweep.ExecOptions{Jobs: f.jobs, Timeout: f.timeout, Datasets: cache}, sink)
	closeErr := w.Close()
	prog.finish()

	m := results.Manifest{
		Sweep: plan.Name, SpecText: plan.SpecText, SpecHash: plan.SpecHash,
		ToolVersion: toolVersion, VCSRevision: vcsRevision(), Kernels: core.Kernels(), Host: host,
		Args: os.Args, Sets: f.sets, Shard: shard.String(), StartedAt: started, EndedAt: time.Now().UTC(),
		Counts: results.Counts{Planned: len(runs), Skipped: skipped, OK: counts[core.StatusOK],
			Failed: counts[core.StatusFailed], Diverged: counts[core.StatusDiverged],
			Timeout: counts[core.StatusTimeout], Canceled: counts[core.StatusCanceled]},
	}
	manErr := results.WriteManifest(f.out, m)

	ran := 0
	for _, n := range counts {
		ran += n
	}
	fmt.Fprintf(stderr, "ncsweep: %d runs in plan (shard %s): %d skipped (already done), %d to do: %d ok, %d failed, %d diverged, %d timeout, %d interrupted, %d not started; results in %s\n",
		len(runs), shard, skipped, len(todo), counts[core.StatusOK], counts[core.StatusFailed], counts[core.StatusDiverged],
		counts[core.StatusTimeout], counts[core.StatusCanceled], len(todo)-ran, filepath.Join(f.out, results.RunsDir))

	if err := errors.Join(writeErr(execErr), closeErr, manErr); err != nil {
		return exitRunsFailed, err
	}
	if code := signalled.Load(); code != 0 {
		return int(code), nil
	}
	if skippedNotOK > 0 {
		fmt.Fprintf(stderr, "ncsweep: %d earlier runs of this plan are not ok (failed, diverged or timeout); --retry-failed runs them again\n", skippedNotOK)
	}
	if len(todo) > counts[core.StatusOK] || skippedNotOK > 0 {
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

// previous is what an output directory already holds, for resuming.
type previous struct {
	// status is each run_id's best status: ok if any of its rows is ok.
	status map[string]string
	// stale are run_ids with an ok row and also a non-ok one.
	stale map[string]bool
	// dupOK counts run_ids with more than one ok row.
	dupOK int
	// any reports an existing runs folder.
	any bool
}

// previousRows reads the rows already in OUT. A missing output is empty.
func previousRows(out string) (previous, error) {
	p := previous{status: map[string]string{}, stale: map[string]bool{}}
	if _, err := os.Stat(filepath.Join(out, results.RunsDir)); errors.Is(err, os.ErrNotExist) {
		return p, nil
	}
	p.any = true
	rows, err := results.ReadRuns(out)
	if err != nil {
		return p, fmt.Errorf("reading earlier results to resume: %w", err)
	}
	oks := map[string]int{}
	nonOK := map[string]bool{}
	for _, r := range rows {
		if r.Status == core.StatusOK {
			oks[r.RunID]++
			p.status[r.RunID] = core.StatusOK
			continue
		}
		nonOK[r.RunID] = true
		if _, seen := p.status[r.RunID]; !seen {
			p.status[r.RunID] = r.Status
		}
	}
	for id, n := range oks {
		if n > 1 {
			p.dupOK++
		}
		if nonOK[id] {
			p.stale[id] = true
		}
	}
	return p, nil
}

// preflight builds the dataset of the first run of each data source (kind,
// path and test path), which reads and checks every data file a sweep will
// use, and the initial network of the first run of each pair of init files,
// which reads and checks those files against the data's shape.
func preflight(runs []sweep.RunConfig, cache *sweep.DatasetCache) error {
	seenData, seenInit := map[string]bool{}, map[string]bool{}
	for _, r := range runs {
		d := r.Spec.Data
		src := d.Kind + "\x00" + d.Path + "\x00" + d.TestPath
		initSrc := r.Spec.Model.InitW + "\x00" + r.Spec.Model.InitV + "\x00" + src
		needInit := r.Spec.Model.Init == "file" && !seenInit[initSrc]
		if seenData[src] && !needInit {
			continue
		}
		seenData[src] = true
		data, err := cache.Get(r.Spec)
		if err != nil {
			return fmt.Errorf("run %s: %w", r.ID, err)
		}
		if needInit {
			seenInit[initSrc] = true
			if _, err := core.InitializeFor(r.Spec, data); err != nil {
				return fmt.Errorf("run %s: %w", r.ID, err)
			}
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

// durationFlag is a time.Duration flag that also takes plain seconds, as
// the spec key train.timeout does.
type durationFlag time.Duration

func (d *durationFlag) String() string { return time.Duration(*d).String() }

func (d *durationFlag) Set(v string) error {
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || secs > 1e9 || secs != secs {
			return fmt.Errorf("%q: want a non-negative duration such as 10m or a number of seconds up to 1e9", v)
		}
		*d = durationFlag(time.Duration(secs * float64(time.Second)))
		return nil
	}
	x, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q: want a duration such as 10m or a number of seconds", v)
	}
	*d = durationFlag(x)
	return nil
}
