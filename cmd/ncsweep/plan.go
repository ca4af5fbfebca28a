package main

import (
	"fmt"
	"io"
)

// cmdPlan validates a spec and prints its grid (or one shard of it).
func cmdPlan(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plan", "plan [SPEC] [--set key=value]... [--shard i/n]", stderr)
	var c commonFlags
	c.register(fs)
	specPath, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	plan, err := loadPlan(specPath, &c)
	if err != nil {
		return err
	}
	shard, err := resolveShard(c.shard)
	if err != nil {
		return err
	}
	if shard.N > 1 {
		total := len(plan.Runs)
		plan.Runs = shard.Select(plan.Runs)
		fmt.Fprintf(stdout, "shard %s: %d of %d runs\n", shard, len(plan.Runs), total)
	}
	return plan.WriteTable(stdout)
}
