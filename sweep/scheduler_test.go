package sweep

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ncsweep/ncsweep/core"
)

// fakeRuns returns n runs over `seeds` distinct datasets.
func fakeRuns(n, seeds int) []RunConfig {
	runs := make([]RunConfig, n)
	for i := range runs {
		runs[i] = RunConfig{ID: fmt.Sprintf("run%04d", i), Index: i, Spec: core.Spec{Seed: int64(i % seeds)}}
	}
	return runs
}

func fakeBuild(builds *atomic.Int64) func(core.Spec) (*core.Dataset, error) {
	return func(core.Spec) (*core.Dataset, error) {
		builds.Add(1)
		return &core.Dataset{}, nil
	}
}

// waitTrain blocks until ctx is done and reports it as core.Run does.
func waitTrain(ctx context.Context, _ core.Spec, _ *core.Dataset) core.Result {
	<-ctx.Done()
	return core.Result{Status: core.StatusTimeout, Error: ctx.Err().Error()}
}

func TestExecuteEveryRunOnceAndDatasetsDropped(t *testing.T) {
	var builds atomic.Int64
	cache := NewDatasetCache(fakeBuild(&builds))
	runs := fakeRuns(500, 7)
	seen := map[string]int{}
	err := Execute(context.Background(), runs, ExecOptions{
		Jobs: 4, Datasets: cache,
		Train: func(context.Context, core.Spec, *core.Dataset) core.Result { return core.Result{Status: core.StatusOK} },
	}, func(o Outcome) error {
		seen[o.Run.ID]++
		if o.Result.Status != core.StatusOK {
			t.Errorf("run %s: status %s", o.Run.ID, o.Result.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(runs) {
		t.Fatalf("%d distinct outcomes, want %d", len(seen), len(runs))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("run %s handed to the sink %d times", id, n)
		}
	}
	// Each dataset may be rebuilt after it was dropped, but no more often
	// than its runs, and at least once.
	if b := builds.Load(); b < 7 || b > int64(len(runs)) {
		t.Errorf("%d dataset builds for 7 datasets", b)
	}
	if n := len(cache.entries); n != 0 {
		t.Errorf("cache still holds %d datasets after the sweep", n)
	}
}

func TestExecuteTimeouts(t *testing.T) {
	cases := []struct {
		opt, run time.Duration
		want     time.Duration
	}{
		{0, 30 * time.Millisecond, 30 * time.Millisecond},
		{30 * time.Millisecond, 0, 30 * time.Millisecond},
		{30 * time.Millisecond, time.Hour, 30 * time.Millisecond},
		{time.Hour, 30 * time.Millisecond, 30 * time.Millisecond},
	}
	for _, c := range cases {
		runs := fakeRuns(2, 1)
		for i := range runs {
			runs[i].Timeout = c.run
		}
		var got []Outcome
		var builds atomic.Int64
		err := Execute(context.Background(), runs, ExecOptions{Jobs: 2, Timeout: c.opt, Build: fakeBuild(&builds), Train: waitTrain},
			func(o Outcome) error { got = append(got, o); return nil })
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range got {
			if o.Result.Status != core.StatusTimeout {
				t.Errorf("%+v: status %s, want timeout", c, o.Result.Status)
			}
			if o.Duration < c.want || o.Duration > c.want+2*time.Second {
				t.Errorf("%+v: run took %v, want about %v", c, o.Duration, c.want)
			}
		}
	}
	if got := minTimeout(0, 0); got != 0 {
		t.Errorf("minTimeout(0, 0) = %v", got)
	}
}

// TestExecuteCancel checks an interrupted sweep: runs in flight end as
// canceled (not timeout), no run starts afterwards, and Execute reports the
// cancellation.
func TestExecuteCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var started atomic.Int64
	train := func(ctx context.Context, s core.Spec, d *core.Dataset) core.Result {
		if started.Add(1) == 2 {
			cancel()
		}
		return waitTrain(ctx, s, d)
	}
	var builds atomic.Int64
	statuses := map[string]int{}
	err := Execute(ctx, fakeRuns(50, 3), ExecOptions{Jobs: 2, Build: fakeBuild(&builds), Train: train, Timeout: time.Hour},
		func(o Outcome) error { statuses[o.Result.Status]++; return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Execute returned %v, want context.Canceled", err)
	}
	if statuses[core.StatusTimeout] != 0 || statuses[core.StatusOK] != 0 {
		t.Errorf("statuses %v: an interrupted run must be canceled", statuses)
	}
	if n := started.Load(); n > 2 {
		t.Errorf("%d runs trained, want at most 2 (the ones in flight)", n)
	}
}

// TestExecuteStopsOnSinkError checks that a writer failure stops the sweep
// with an error naming it, and starts no run after it.
func TestExecuteStopsOnSinkError(t *testing.T) {
	diskFull := errors.New("no space left on device")
	var builds, trained atomic.Int64
	calls := 0
	err := Execute(context.Background(), fakeRuns(1000, 3), ExecOptions{
		Jobs: 2, Build: fakeBuild(&builds),
		Train: func(ctx context.Context, _ core.Spec, _ *core.Dataset) core.Result {
			trained.Add(1)
			return core.Result{Status: core.StatusOK}
		},
	}, func(Outcome) error {
		calls++
		if calls == 10 {
			return diskFull
		}
		return nil
	})
	if !errors.Is(err, diskFull) || calls != 10 {
		t.Errorf("Execute: %v after %d sink calls; want the sink's error after 10", err, calls)
	}
	if n := trained.Load(); n > 20 {
		t.Errorf("%d runs trained after the sink failed at the 10th", n)
	}
}

// BenchmarkExecuteOverhead measures the scheduler's own cost per run: the
// training returns at once, the dataset is shared by 10 runs.
func BenchmarkExecuteOverhead(b *testing.B) {
	runs := fakeRuns(b.N, max(1, b.N/10))
	var builds atomic.Int64
	ok := core.Result{Status: core.StatusOK}
	b.ReportAllocs()
	b.ResetTimer()
	err := Execute(context.Background(), runs, ExecOptions{Build: fakeBuild(&builds),
		Train: func(context.Context, core.Spec, *core.Dataset) core.Result { return ok }},
		func(Outcome) error { return nil })
	if err != nil {
		b.Fatal(err)
	}
}
