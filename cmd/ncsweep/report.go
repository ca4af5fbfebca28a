package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ncsweep/ncsweep/results"
)

// cmdReport writes figures and a markdown summary of an output directory
// and prints the paths of the files written.
func cmdReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", "report OUT [--dir DIR] [--runs id,id,...]", stderr)
	dir := fs.String("dir", "", "folder for the figures and report.md (default OUT/report)")
	runs := fs.String("runs", "", "comma-separated run_ids whose trajectories to plot (default: one run per init scale of the first width and seed)")
	out, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if out == "" {
		return usagef("report needs the output directory OUT of a sweep (ncsweep report OUT)")
	}
	if st, err := os.Stat(out); err != nil {
		return usagef("report: output directory %s: %w", out, err)
	} else if !st.IsDir() {
		return usagef("report: %s is not a directory", out)
	}
	var ids []string
	for _, id := range strings.Split(*runs, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	files, err := results.Report(out, results.ReportOptions{Dir: *dir, Runs: ids})
	if errors.Is(err, results.ErrNoRuns) || errors.Is(err, results.ErrUnknownRun) {
		return usageError{err}
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	return nil
}
