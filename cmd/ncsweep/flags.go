package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/ncsweep/ncsweep/sweep"
	"github.com/ncsweep/ncsweep/sweeps"
)

// setFlags collects repeated --set key=value overrides.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, " ") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

// commonFlags are the flags that run and plan share.
type commonFlags struct {
	sets  setFlags
	shard string
	yes   bool
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.Var(&c.sets, "set", "override a spec key before validation, as key=value in TOML syntax (repeatable), e.g. --set model.width=[64,128]")
	fs.StringVar(&c.shard, "shard", "", "run only shard i of n (i/n); default from SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX")
	fs.BoolVar(&c.yes, "yes", false, "accept grids of more than a million runs")
}

// parseArgs parses flags that may come before or after the one optional
// positional argument (the spec path).
func parseArgs(fs *flag.FlagSet, args []string) (spec string, err error) {
	if err := fs.Parse(args); err != nil {
		return "", usageError{err}
	}
	rest := fs.Args()
	if len(rest) > 0 {
		spec = rest[0]
		if err := fs.Parse(rest[1:]); err != nil {
			return "", usageError{err}
		}
		if len(fs.Args()) > 0 {
			return "", usagef("unexpected arguments %q (one SPEC at most)", fs.Args())
		}
	}
	return spec, nil
}

// loadPlan parses the spec (or the built-in default) with the overrides.
func loadPlan(specPath string, c *commonFlags) (*sweep.Plan, error) {
	opt := sweep.Options{Sets: c.sets, AllowHuge: c.yes}
	var (
		plan *sweep.Plan
		err  error
	)
	if specPath == "" {
		plan, err = sweep.Parse(sweeps.DefaultName, sweeps.Default(), opt)
	} else {
		plan, err = sweep.ParseFile(specPath, opt)
	}
	if err != nil {
		return nil, usageError{err}
	}
	return plan, nil
}

// resolveShard returns the shard from --shard or the environment.
func resolveShard(flagValue string) (sweep.Shard, error) {
	if flagValue != "" {
		s, err := sweep.ParseShard(flagValue)
		if err != nil {
			return sweep.Shard{}, usageError{fmt.Errorf("--shard: %w", err)}
		}
		return s, nil
	}
	s, ok, err := sweep.ShardFromEnv(os.Getenv)
	if err != nil {
		return sweep.Shard{}, usageError{err}
	}
	if !ok {
		return sweep.Shard{I: 0, N: 1}, nil
	}
	return s, nil
}

func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: ncsweep %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func defaultJobs() int { return runtime.NumCPU() }
