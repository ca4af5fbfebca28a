//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package results

// lockFile is a no-op where flock is unavailable: concurrent manifest
// writers on such systems may lose an invocation record (never a run row).
func lockFile(path string) (unlock func(), err error) { return func() {}, nil }

// tryLockFile is a no-op where flock is unavailable.
func tryLockFile(path string) (unlock func(), busy bool, err error) { return func() {}, false, nil }

// tryLockFileShared is a no-op where flock is unavailable.
func tryLockFileShared(path string) (unlock func(), busy bool, err error) {
	return func() {}, false, nil
}
