package results

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DropRuns removes from the output folder dir every run row for which drop
// returns true, then the trajectory rows of every run that has no run row
// left and for which redo returns true: the dropped runs, and orphans that
// a crash between a flush's trajectory part and its runs part left behind.
// A caller passes as redo the runs it is about to run, so that it never
// touches the trajectory rows of runs another process (another shard) is
// writing at the same moment. It returns the number of run rows removed.
//
// Each affected part file is rewritten whole: the rows it keeps go to a
// temporary file (a name that never matches *.parquet) that is fsynced and
// renamed over the part, or the part is removed when it keeps nothing; then
// the folder is fsynced. A crash at any moment leaves every part either as
// it was or rewritten, never damaged. Run rows go first: a crash between the
// two steps leaves orphan trajectory rows, which the next DropRuns (and
// ReadTrajectories) discards.
//
// opt supplies the temporary-file hook and the row-group size; its Prefix
// names the temporary files.
func DropRuns(dir string, drop func(Row) bool, redo func(runID string) bool, opt WriterOptions) (int, error) {
	opt = opt.withDefaults()
	runsDir := filepath.Join(dir, RunsDir)
	removed, err := rewriteParts(runsDir, SchemaVersion, opt, func(r Row) bool { return !drop(r) })
	if err != nil {
		return removed, err
	}
	type runID struct {
		RunID string `parquet:"run_id"`
	}
	ids, err := readParts[runID](runsDir)
	if err != nil {
		return removed, err
	}
	known := make(map[string]bool, len(ids))
	for _, r := range ids {
		known[r.RunID] = true
	}
	_, err = rewriteParts(filepath.Join(dir, TrajectoriesDir), TrajectorySchemaVersion, opt,
		func(r TrajectoryRow) bool { return known[r.RunID] || !redo(r.RunID) })
	return removed, err
}

// rewriteParts rewrites each *.parquet file of dir that holds rows keep
// rejects, and returns the number of rows removed. A missing dir holds no
// parts.
func rewriteParts[T any](dir, schema string, opt WriterOptions, keep func(T) bool) (int, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	if err != nil {
		return 0, fmt.Errorf("results: list part files in %s: %w", dir, err)
	}
	removed := 0
	for _, path := range paths {
		rows, err := readPart[T](path, nil)
		if err != nil {
			return removed, err
		}
		kept := rows[:0:0]
		for _, r := range rows {
			if keep(r) {
				kept = append(kept, r)
			}
		}
		if len(kept) == len(rows) {
			continue
		}
		if len(kept) == 0 {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return removed, fmt.Errorf("results: remove emptied part %s: %w", path, err)
			}
		} else {
			tmp, err := writeTemp(dir, schema, opt, kept)
			if err != nil {
				return removed, fmt.Errorf("results: rewrite %s: %w", path, err)
			}
			if err := os.Rename(tmp, path); err != nil {
				os.Remove(tmp)
				return removed, fmt.Errorf("results: replace %s: %w", path, err)
			}
		}
		if err := syncDir(dir); err != nil {
			return removed, fmt.Errorf("results: rewrite %s: %w", path, err)
		}
		removed += len(rows) - len(kept)
	}
	return removed, nil
}
