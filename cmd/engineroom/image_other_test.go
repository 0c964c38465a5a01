//go:build !linux

package main

import (
	"runtime"
	"testing"
)

// TestStaticBinaryInEmptyRoot needs Linux: the release binary is a static
// Linux executable and the empty root is made with chroot.
func TestStaticBinaryInEmptyRoot(t *testing.T) {
	t.Skipf("the release binary is a static Linux executable booted with chroot; this is %s", runtime.GOOS)
}
