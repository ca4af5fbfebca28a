package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress reports a sweep's advance on stderr: on a terminal a bar with the
// counts, the runs not ok, the elapsed time and an ETA; otherwise (cluster
// logs) a plain line every logEvery. Both are refreshed by a ticker too, so
// that the elapsed time and the ETA move while long runs are in flight.
// add is called from the sink goroutine; the ticker runs in its own.
type progress struct {
	w        io.Writer
	quiet    bool
	tty      bool
	logEvery time.Duration
	bar      *progressbar.ProgressBar // nil unless tty, not quiet, total > 0

	mu      sync.Mutex
	total   int
	done    int
	failed  int
	start   time.Time
	last    time.Time // last plain line
	stop    chan struct{}
	stopped sync.WaitGroup
}

func newProgress(w io.Writer, total, skipped int, quiet bool) *progress {
	tty := false
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		tty = true
	}
	return startProgress(w, total, skipped, quiet, tty, 5*time.Second, time.Second)
}

// startProgress is newProgress with the terminal test, the plain-line
// interval and the redraw interval given (tests use it).
func startProgress(w io.Writer, total, skipped int, quiet, tty bool, logEvery, tick time.Duration) *progress {
	now := time.Now()
	p := &progress{w: w, quiet: quiet, tty: tty, logEvery: logEvery, total: total, start: now, last: now, stop: make(chan struct{})}
	if quiet {
		return p
	}
	fmt.Fprintf(w, "ncsweep: %d runs to do (%d already done)\n", total, skipped)
	if total == 0 {
		return p
	}
	if tty {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetPredictTime(false), // our ETA, in the description, uses every run
			progressbar.OptionShowDescriptionAtLineEnd(),
			progressbar.OptionSetRenderBlankState(true),
			progressbar.OptionSetDescription(p.describe(now)),
		)
	}
	p.stopped.Add(1)
	go p.tick(tick)
	return p
}

// tick refreshes the display until finish.
func (p *progress) tick(every time.Duration) {
	defer p.stopped.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			p.mu.Lock()
			p.refresh(now, false)
			p.mu.Unlock()
		}
	}
}

// add counts one finished run with its status.
func (p *progress) add(status string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if status != "ok" {
		p.failed++
	}
	if p.quiet {
		return
	}
	if p.bar != nil {
		p.bar.Describe(p.describe(time.Now()))
		p.bar.Add(1)
		return
	}
	p.refresh(time.Now(), p.done == p.total)
}

// refresh redraws the bar, or prints a plain line when logEvery has passed
// (or force). p.mu is held.
func (p *progress) refresh(now time.Time, force bool) {
	switch {
	case p.quiet:
	case p.bar != nil:
		p.bar.Describe(p.describe(now))
	case force || now.Sub(p.last) >= p.logEvery:
		p.last = now
		fmt.Fprintf(p.w, "ncsweep: %s\n", p.status(now))
	}
}

// eta estimates the time left from the mean time per finished run.
func (p *progress) eta(now time.Time) string {
	if p.done == 0 {
		return "?"
	}
	elapsed := now.Sub(p.start)
	left := time.Duration(float64(elapsed) / float64(p.done) * float64(p.total-p.done))
	return left.Round(time.Second).String()
}

// describe is the text beside the bar.
func (p *progress) describe(now time.Time) string {
	return fmt.Sprintf("%d not ok, ETA %s", p.failed, p.eta(now))
}

// status is one plain progress line.
func (p *progress) status(now time.Time) string {
	return fmt.Sprintf("%d/%d runs, %d not ok, elapsed %s, ETA %s",
		p.done, p.total, p.failed, now.Sub(p.start).Round(time.Second), p.eta(now))
}

// finish stops the ticker and ends the bar's line.
func (p *progress) finish() {
	if !p.quiet && p.total > 0 {
		close(p.stop)
		p.stopped.Wait()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Describe(p.describe(time.Now()))
		p.bar.Exit()
		fmt.Fprintln(p.w)
	}
}
