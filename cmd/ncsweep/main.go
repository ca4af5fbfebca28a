// Command ncsweep runs grids of two-layer ReLU training runs described by a
// TOML sweep spec and writes one Parquet row per run.
//
//	ncsweep run [SPEC] [--out DIR] [--jobs N] [--shard i/N] [--set key=value]...
//	ncsweep plan [SPEC] [--shard i/N] [--set key=value]...
//	ncsweep version
//
// Exit codes: 0 every run ok, 1 some runs failed, 2 bad spec or usage,
// 130 interrupted by SIGINT, 143 by SIGTERM.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// Exit codes.
const (
	exitOK          = 0
	exitRunsFailed  = 1
	exitUsage       = 2
	exitInterrupted = 130 // SIGINT; SIGTERM gives 143
)

// usageError marks errors that are the user's input (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

const usageText = `ncsweep: Neural Collapse sweeps of two-layer ReLU networks

usage:
  ncsweep run [SPEC] [flags]    run a sweep (no SPEC: the built-in quick sweep)
  ncsweep plan [SPEC] [flags]   validate a spec and list its grid; runs nothing
  ncsweep report OUT [flags]    figures and report.md from a sweep's output
  ncsweep version               print version information

run 'ncsweep run -h' or 'ncsweep plan -h' for the flags.
`

func main() {
	if os.Getenv("GOGC") == "" {
		// The heap is a few large pointer-free arrays (datasets, a run's
		// matrices), so collecting is cheap, while the default GOGC=100
		// lets the heap reach twice what is live: the 8-run MNIST sweep
		// peaked at 470 MiB for 165 MiB of dataset. At 25 it peaks near
		// 280 MiB for about 0.1 s more of collection in a 22 s sweep
		// (BENCHMARKS.md, "Memory"). A GOGC the user sets wins.
		debug.SetGCPercent(gcPercent)
	}
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// gcPercent is the garbage collector's target the CLI runs with (see main).
const gcPercent = 25

// realMain is main without os.Exit, for tests.
func realMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	var err error
	code := exitOK
	switch args[0] {
	case "run":
		code, err = cmdRun(args[1:], stdout, stderr)
	case "plan":
		err = cmdPlan(args[1:], stdout, stderr)
	case "report":
		err = cmdReport(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, versionString())
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usageText)
	default:
		err = usagef("unknown command %q", args[0])
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK // -h: the flag set already printed its usage
	}
	if err != nil {
		fmt.Fprintf(stderr, "ncsweep: %v\n", err)
		if errors.As(err, new(usageError)) {
			return exitUsage
		}
		if code == exitOK {
			code = exitRunsFailed
		}
	}
	return code
}
