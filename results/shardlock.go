package results

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrShardBusy reports that another process is writing the same shard into
// the same output folder.
var ErrShardBusy = errors.New("another ncsweep process is writing this shard into this output folder")

// LockShard claims shard (a label such as "0/4") of the output folder dir
// for this process, so that two processes running the same shard into one
// folder (a SLURM task resubmitted while the first still runs) cannot both
// write its runs and leave duplicate rows. It creates dir if needed and
// returns the function that releases the claim; the kernel releases it if
// the process dies. A busy shard gives an error wrapping ErrShardBusy.
// Processes running different shards of one grid proceed side by side.
func LockShard(dir, shard string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("results: create output folder %s: %w", dir, err)
	}
	name := ".shard-" + filepath.Base(filepath.Clean("/"+shardLabel(shard))) + ".lock"
	unlock, busy, err := tryLockFile(filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("results: lock shard %s in %s: %w", shard, dir, err)
	}
	if busy {
		return nil, fmt.Errorf("shard %s of %s: %w", shard, dir, ErrShardBusy)
	}
	return unlock, nil
}

// shardLabel turns "i/n" into a file-name part "iofn".
func shardLabel(shard string) string {
	out := []rune{}
	for _, r := range shard {
		if r == '/' {
			out = append(out, 'o', 'f')
			continue
		}
		out = append(out, r)
	}
	return string(out)
}
