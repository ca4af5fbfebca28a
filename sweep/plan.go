package sweep

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
)

// WriteTable writes the plan for a person: "N runs", then an aligned table
// with the run index, the run ID and one column per axis (the resolved
// value, or "-" where the key does not apply to the run).
func (p *Plan) WriteTable(w io.Writer) error {
	noun := "runs"
	if len(p.Runs) == 1 {
		noun = "run"
	}
	if _, err := fmt.Fprintf(w, "%d %s\n", len(p.Runs), noun); err != nil {
		return fmt.Errorf("writing plan: %w", err)
	}
	cols := make([]*keyDesc, len(p.Axes))
	for i, a := range p.Axes {
		if k := findKey(a.Key); k >= 0 {
			cols[i] = &keyTable[k]
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := make([]byte, 0, 256)
	row = append(row, "index\trun_id"...)
	for _, a := range p.Axes {
		row = append(row, '\t')
		row = append(row, a.Key...)
	}
	row = append(row, '\n')
	if _, err := tw.Write(row); err != nil {
		return fmt.Errorf("writing plan: %w", err)
	}
	for i := range p.Runs {
		r := &p.Runs[i]
		row = strconv.AppendInt(row[:0], int64(r.Index), 10)
		row = append(row, '\t')
		row = append(row, r.ID...)
		for _, d := range cols {
			row = append(row, '\t')
			switch {
			case d == nil:
				row = append(row, '?')
			case d.applies != nil && d.applies(&r.Spec) != "":
				row = append(row, '-')
			default:
				row = append(row, fmtValue(d.get(&r.Spec), false)...)
			}
		}
		row = append(row, '\n')
		if _, err := tw.Write(row); err != nil {
			return fmt.Errorf("writing plan: %w", err)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing plan: %w", err)
	}
	return nil
}
