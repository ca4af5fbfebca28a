package main

import (
	"strings"
	"testing"
	"time"
)

// TestProgressBarOnTerminal drives the terminal bar into a buffer: it shows
// the counts, the runs not ok and an ETA, and the ticker redraws it while
// no run finishes.
func TestProgressBarOnTerminal(t *testing.T) {
	var buf syncBuffer
	p := startProgress(&buf, 4, 1, false, true, time.Hour, 20*time.Millisecond)
	p.add("ok")
	p.add("failed")
	before := strings.Count(buf.String(), "(2/4)")
	time.Sleep(200 * time.Millisecond) // several ticks, no run finishing
	after := strings.Count(buf.String(), "(2/4)")
	p.finish()
	out := buf.String()
	for _, want := range []string{"4 runs to do (1 already done)", "(2/4)", "1 not ok", "ETA "} {
		if !strings.Contains(out, want) {
			t.Errorf("bar output lacks %q:\n%q", want, out)
		}
	}
	if after < before+3 {
		t.Errorf("bar redrawn %d times in 200 ms of 20 ms ticks, want at least 3", after-before)
	}
}

// TestProgressPlainLines checks the non-terminal output: a line at most
// every logEvery, also while runs are in flight, and one at the end.
func TestProgressPlainLines(t *testing.T) {
	var buf syncBuffer
	p := startProgress(&buf, 3, 0, false, false, 50*time.Millisecond, 10*time.Millisecond)
	p.add("ok")
	time.Sleep(180 * time.Millisecond)
	p.add("diverged")
	p.add("ok")
	p.finish()
	out := buf.String()
	lines := strings.Count(out, "runs, ")
	if lines < 3 || lines > 6 {
		t.Errorf("%d progress lines in 180 ms at one per 50 ms, want 3 to 6:\n%s", lines, out)
	}
	if !strings.Contains(out, "3/3 runs, 1 not ok") {
		t.Errorf("no final line with the counts:\n%s", out)
	}
	if strings.Contains(out, "\r") {
		t.Errorf("carriage return in plain output")
	}
}

// TestProgressQuiet checks that --quiet prints nothing.
func TestProgressQuiet(t *testing.T) {
	var buf syncBuffer
	p := startProgress(&buf, 3, 0, true, true, time.Millisecond, time.Millisecond)
	p.add("ok")
	time.Sleep(10 * time.Millisecond)
	p.finish()
	if buf.String() != "" {
		t.Errorf("quiet progress printed %q", buf.String())
	}
}
