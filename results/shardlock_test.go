package results

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestLockShard checks that a shard can be claimed once at a time, that
// other shards are independent, and that releasing frees it.
func TestLockShard(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	unlock, err := LockShard(dir, "0/2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockShard(dir, "0/2"); !errors.Is(err, ErrShardBusy) {
		t.Fatalf("second claim of 0/2: %v, want ErrShardBusy", err)
	}
	other, err := LockShard(dir, "1/2")
	if err != nil {
		t.Fatalf("shard 1/2 next to 0/2: %v", err)
	}
	other()
	unlock()
	again, err := LockShard(dir, "0/2")
	if err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	again()
}
