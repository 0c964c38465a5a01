package sandbox

import "testing"

func TestHeapLimitFor(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name   string
		memory int64
		want   int64
	}{
		{"unknown", 0, DefaultHeapLimit},
		{"a large machine", 24 << 30, DefaultHeapLimit},
		{"just enough for the default", DefaultHeapLimit + restOfProcess, DefaultHeapLimit},
		{"a container limited to 1 GiB", 1024 * mib, 704 * mib},
		{"a 1 GB virtual machine", 985432 << 10, 985432<<10 - 320*mib},
		{"512 MiB: half for the rest", 512 * mib, 256 * mib},
		{"256 MiB", 256 * mib, 128 * mib},
		{"too small for a class", 64 * mib, 64 * mib},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := HeapLimitFor(tt.memory)
			if got != tt.want {
				t.Errorf("HeapLimitFor(%d MiB) = %d MiB, want %d MiB", tt.memory/mib, got/mib, tt.want/mib)
			}
		})
	}
}
