package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// progress reports a sweep's advance on stderr: a redrawn bar with counts and
// ETA on a terminal, and a plain line every logEvery otherwise (cluster logs).
// It is called only from the sink goroutine.
type progress struct {
	w        io.Writer
	total    int
	skipped  int
	done     int
	failed   int
	start    time.Time
	last     time.Time
	tty      bool
	quiet    bool
	logEvery time.Duration
}

func newProgress(w io.Writer, total, skipped int, quiet bool) *progress {
	p := &progress{w: w, total: total, skipped: skipped, start: time.Now(), quiet: quiet, logEvery: 5 * time.Second}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	p.last = p.start
	if !quiet {
		fmt.Fprintf(w, "ncsweep: %d runs to do (%d already done)\n", total, skipped)
	}
	return p
}

func (p *progress) add(status string) {
	p.done++
	if status != "ok" {
		p.failed++
	}
	if p.quiet {
		return
	}
	now := time.Now()
	switch {
	case p.tty:
		p.draw(now)
	case now.Sub(p.last) >= p.logEvery || p.done == p.total:
		p.last = now
		fmt.Fprintf(p.w, "ncsweep: %s\n", p.status(now))
	}
}

func (p *progress) status(now time.Time) string {
	elapsed := now.Sub(p.start)
	eta := "?"
	if p.done > 0 {
		left := time.Duration(float64(elapsed) / float64(p.done) * float64(p.total-p.done))
		eta = left.Round(time.Second).String()
	}
	return fmt.Sprintf("%d/%d runs, %d not ok, elapsed %s, ETA %s",
		p.done, p.total, p.failed, elapsed.Round(time.Second), eta)
}

func (p *progress) draw(now time.Time) {
	const width = 30
	filled := width
	if p.total > 0 {
		filled = width * p.done / p.total
	}
	bar := strings.Repeat("#", filled) + strings.Repeat(".", width-filled)
	fmt.Fprintf(p.w, "\r[%s] %s ", bar, p.status(now))
}

func (p *progress) finish() {
	if p.tty && !p.quiet && p.done > 0 {
		fmt.Fprintln(p.w)
	}
}
