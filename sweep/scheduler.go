package sweep

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ncsweep/ncsweep/core"
)

// Outcome is one finished run, handed to the sink.
type Outcome struct {
	Run      RunConfig
	Data     *core.Dataset // nil when the dataset could not be built
	Result   core.Result
	Started  time.Time
	Duration time.Duration
}

// ExecOptions controls Execute. The zero value runs with one job per CPU, no
// per-run timeout and core.PrepareDataset as the dataset builder.
type ExecOptions struct {
	// Jobs bounds the runs in flight; <= 0 means runtime.NumCPU().
	Jobs int
	// Timeout bounds each run's training; 0 means none. A run's own
	// RunConfig.Timeout also applies: the smaller non-zero limit wins.
	Timeout time.Duration
	// Build makes the dataset of a spec; nil means core.PrepareDataset.
	Build func(core.Spec) (*core.Dataset, error)
	// Train runs one training run; nil means core.Run.
	Train func(context.Context, core.Spec, *core.Dataset) core.Result
	// Datasets, if non-nil, is the cache to use (for example one that a
	// preflight check already filled).
	Datasets *DatasetCache
}

// Execute runs every run with at most opt.Jobs in flight and hands each
// finished run to sink. Sink is called from a single goroutine, one outcome
// at a time, so it may own a writer without locking.
//
// A run's failure (an error, a panic, divergence, a timeout) is a value in
// its Outcome, never an error of Execute. Execute returns an error only when
// the sink fails (the sweep stops: nothing more is started) or when ctx is
// cancelled (runs in flight are cancelled and their outcomes, with status
// canceled, are still passed to sink, which decides whether to keep them).
func Execute(ctx context.Context, runs []RunConfig, opt ExecOptions, sink func(Outcome) error) error {
	jobs := opt.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	train := opt.Train
	if train == nil {
		train = core.Run
	}
	cache := opt.Datasets
	if cache == nil {
		cache = NewDatasetCache(opt.Build)
	}
	for _, r := range runs {
		cache.Expect(r.Spec)
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	outcomes := make(chan Outcome)
	sinkErr := make(chan error, 1)
	go func() {
		var err error
		for o := range outcomes {
			if err != nil {
				continue // drain: the sweep is stopping
			}
			if err = sink(o); err != nil {
				cancel()
			}
		}
		sinkErr <- err
	}()

	g := new(errgroup.Group)
	g.SetLimit(jobs)
	for _, r := range runs {
		if runCtx.Err() != nil {
			break
		}
		g.Go(func() error {
			outcomes <- executeOne(runCtx, r, opt.Timeout, cache, train)
			return nil
		})
	}
	g.Wait()
	close(outcomes)
	if err := <-sinkErr; err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	return ctx.Err()
}

// executeOne runs one configuration, turning every failure into a status.
func executeOne(ctx context.Context, r RunConfig, timeout time.Duration, cache *DatasetCache, train func(context.Context, core.Spec, *core.Dataset) core.Result) (o Outcome) {
	o.Run = r
	o.Started = time.Now().UTC()
	defer func() {
		if p := recover(); p != nil {
			o.Result = core.Result{Status: core.StatusFailed, Error: fmt.Sprintf("panic: %v\n%s", p, debug.Stack())}
		}
		o.Duration = time.Since(o.Started)
		cache.Done(r.Spec)
	}()
	data, err := cache.Get(r.Spec)
	if err != nil {
		o.Result = core.Result{Status: core.StatusFailed, Error: err.Error()}
		return o
	}
	o.Data = data
	if ctx.Err() != nil {
		o.Result = core.Result{Status: core.StatusCanceled, Error: "sweep interrupted before the run started"}
		return o
	}
	runCtx := ctx
	if timeout = minTimeout(timeout, r.Timeout); timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	o.Result = train(runCtx, r.Spec, data)
	if o.Result.Status == core.StatusTimeout && errors.Is(ctx.Err(), context.Canceled) {
		o.Result.Status = core.StatusCanceled
	}
	return o
}

// minTimeout is the smaller of two time limits, where 0 means none.
func minTimeout(a, b time.Duration) time.Duration {
	if a <= 0 || (b > 0 && b < a) {
		return b
	}
	return a
}

// DatasetCache builds each dataset once and shares it read-only between the
// runs that use it, keyed by core.Spec.DataKey. It forgets a dataset when the
// last run expected to use it is done, so a long sweep over many seeds holds
// only the datasets of the runs in flight.
type DatasetCache struct {
	build   func(core.Spec) (*core.Dataset, error)
	mu      sync.Mutex
	entries map[string]*cacheEntry
}

type cacheEntry struct {
	once    sync.Once
	data    *core.Dataset
	err     error
	pending int // runs expected to call Get and Done
}

// NewDatasetCache returns an empty cache; build nil means core.PrepareDataset.
func NewDatasetCache(build func(core.Spec) (*core.Dataset, error)) *DatasetCache {
	if build == nil {
		build = core.PrepareDataset
	}
	return &DatasetCache{build: build, entries: map[string]*cacheEntry{}}
}

func (c *DatasetCache) entry(key string) *cacheEntry {
	e := c.entries[key]
	if e == nil {
		e = &cacheEntry{}
		c.entries[key] = e
	}
	return e
}

// Expect announces one future Get/Done pair for the spec's dataset.
func (c *DatasetCache) Expect(s core.Spec) {
	c.mu.Lock()
	c.entry(s.DataKey()).pending++
	c.mu.Unlock()
}

// Get returns the spec's dataset, building it on first use. Concurrent
// callers of the same key wait for a single build.
func (c *DatasetCache) Get(s core.Spec) (*core.Dataset, error) {
	c.mu.Lock()
	e := c.entry(s.DataKey())
	c.mu.Unlock()
	e.once.Do(func() { e.data, e.err = c.build(s) })
	return e.data, e.err
}

// Done releases one expected use; the dataset is dropped after the last.
func (c *DatasetCache) Done(s core.Spec) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := s.DataKey()
	if e := c.entries[key]; e != nil {
		e.pending--
		if e.pending <= 0 {
			delete(c.entries, key)
		}
	}
}
