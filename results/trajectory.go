package results

import (
	"fmt"
	"path/filepath"
	"sort"

	"github.com/ncsweep/ncsweep/core"
	"github.com/ncsweep/ncsweep/sweep"
)

// TrajectoriesDir is the folder, inside an output directory, that holds the
// trajectory part files.
const TrajectoriesDir = "trajectories"

// TrajectorySchemaVersion names the frozen layout of TrajectoryRow, stored
// like SchemaVersion in every trajectory part file's metadata.
const TrajectorySchemaVersion = "trajectories/1"

// TrajectoryRow is one checkpoint of one run, flattened into the frozen
// schema of OUT/trajectories/*.parquet. It carries no configuration: join
// it to the runs table on run_id, e.g. in DuckDB
//
//	SELECT r.model_init_scale, t.gf_time, t.nc1_norm
//	FROM 'OUT/trajectories/*.parquet' t JOIN 'OUT/runs/*.parquet' r USING (run_id)
//
// The conventions are Row's: plain types, null (never NaN) for a metric
// that was not measured or is undefined.
type TrajectoryRow struct {
	RunID      string  `parquet:"run_id"`
	Sweep      string  `parquet:"sweep"`
	Checkpoint int64   `parquet:"checkpoint"` // 0-based position in the run's trajectory
	Step       int64   `parquet:"step"`       // integrator steps taken
	GradEvals  int64   `parquet:"grad_evals"`
	GFTime     float64 `parquet:"gf_time"` // gradient-flow time, in units of the summed loss
	// AtSeparation marks the checkpoint taken at T* (the run's
	// separation_step), so a plot can mark it without a join.
	AtSeparation  bool     `parquet:"at_separation"`
	Loss          *float64 `parquet:"loss,optional"`
	TrainAcc      *float64 `parquet:"train_acc,optional"`
	TestAcc       *float64 `parquet:"test_acc,optional"`
	ThetaNorm     float64  `parquet:"theta_norm"`
	DeadFrac      float64  `parquet:"dead_frac"`
	Separated     bool     `parquet:"separated"`
	NC1           *float64 `parquet:"nc1,optional"`
	NC1Norm       *float64 `parquet:"nc1_norm,optional"`
	NC2           *float64 `parquet:"nc2,optional"`
	NC3           *float64 `parquet:"nc3,optional"`
	ResidFeatures *float64 `parquet:"resid_features,optional"`
	ResidV        *float64 `parquet:"resid_v,optional"`
	CosWUMin      *float64 `parquet:"cos_wu_min,optional"`
	CosWUMean     *float64 `parquet:"cos_wu_mean,optional"`
}

// TrajectoryRows flattens res.Trajectory into one row per checkpoint, in
// order (nil when the run has no checkpoints). Pointers are copied.
//
// Core never puts NaN or Inf into a checkpoint (a pointer metric is nil
// instead). Should it break that promise, a non-finite pointer metric
// becomes null, and a checkpoint whose GF time, |theta| or dead fraction is
// non-finite is left out (those columns have no null); the run's row
// reports the failure through its own checks.
func TrajectoryRows(run sweep.RunConfig, res core.Result) []TrajectoryRow {
	var rows []TrajectoryRow
	for i, c := range res.Trajectory {
		m := c.Metrics
		if !finite(c.Time) || !finite(m.ThetaNorm) || !finite(m.DeadFrac) {
			continue
		}
		rows = append(rows, TrajectoryRow{
			RunID:         run.ID,
			Sweep:         run.Sweep,
			Checkpoint:    int64(i),
			Step:          c.Step,
			GradEvals:     c.GradEvals,
			GFTime:        c.Time,
			AtSeparation:  res.SeparationStep != nil && c.Step == *res.SeparationStep,
			Loss:          finiteCopy(m.Loss),
			TrainAcc:      finiteCopy(m.TrainAcc),
			TestAcc:       finiteCopy(m.TestAcc),
			ThetaNorm:     m.ThetaNorm,
			DeadFrac:      m.DeadFrac,
			Separated:     m.Separated,
			NC1:           finiteCopy(m.NC1),
			NC1Norm:       finiteCopy(m.NC1Norm),
			NC2:           finiteCopy(m.NC2),
			NC3:           finiteCopy(m.NC3),
			ResidFeatures: finiteCopy(m.ResidFeatures),
			ResidV:        finiteCopy(m.ResidV),
			CosWUMin:      finiteCopy(m.CosWUMin),
			CosWUMean:     finiteCopy(m.CosWUMean),
		})
	}
	return rows
}

// finiteCopy copies *p, or returns nil when p is nil or not finite.
func finiteCopy(p *float64) *float64 {
	if p == nil || !finite(*p) {
		return nil
	}
	return copyFloat(p)
}

// WriteTrajectory buffers the trajectory rows of one run. They are
// published at the next flush, before the run rows of that flush; call it
// before Write for the same run, so that the run's trajectory is published
// in the same flush as its run row or in an earlier one, never later. It
// never publishes by itself (FlushRows counts run rows only). On error
// nothing is buffered.
func (w *Writer) WriteTrajectory(rows []TrajectoryRow) error {
	if w.pw.closed {
		return fmt.Errorf("results: write to closed writer for %s", w.dir)
	}
	if len(rows) == 0 {
		return nil
	}
	if w.traj == nil {
		tw, err := newPartWriter[TrajectoryRow](filepath.Join(w.dir, TrajectoriesDir), TrajectorySchemaVersion, w.opt)
		if err != nil {
			return err
		}
		w.traj = tw
	}
	w.traj.buf = append(w.traj.buf, rows...)
	return nil
}

// TrajectoryParts returns the paths of the trajectory part files this
// Writer has published, in order.
func (w *Writer) TrajectoryParts() []string {
	if w.traj == nil {
		return nil
	}
	return append([]string(nil), w.traj.parts...)
}

// ReadTrajectories reads every published part file DIR/trajectories/*.parquet
// and returns the rows of runs that have a row in DIR/runs, one per
// (run_id, checkpoint), sorted by run_id and then checkpoint. A missing
// trajectories folder is an empty result.
//
// Why the filtering: the Writer publishes a flush's trajectory part before
// its runs part, so a crash between the two leaves trajectory rows whose run
// has no run row. A resumed sweep redoes such a run (it has no run row) and
// publishes its trajectory again; so does --retry-failed for a run whose
// failed attempt left a trajectory. Orphans are therefore dropped, and
// duplicates of a (run_id, checkpoint) are reduced to the first one in part
// file name order. Runs are deterministic, so repeated attempts of a run
// produce the same checkpoints (a timed-out attempt a prefix of them) and
// which copy is kept does not matter.
func ReadTrajectories(dir string) ([]TrajectoryRow, error) {
	rows, err := readParts[TrajectoryRow](filepath.Join(dir, TrajectoriesDir))
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	type runID struct {
		RunID string `parquet:"run_id"`
	}
	ids, err := readParts[runID](filepath.Join(dir, RunsDir))
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(ids))
	for _, r := range ids {
		known[r.RunID] = true
	}
	type key struct {
		run string
		cp  int64
	}
	seen := make(map[key]bool, len(rows))
	out := rows[:0]
	for _, r := range rows {
		k := key{r.RunID, r.Checkpoint}
		if !known[r.RunID] || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].RunID != out[j].RunID {
			return out[i].RunID < out[j].RunID
		}
		return out[i].Checkpoint < out[j].Checkpoint
	})
	return out, nil
}
