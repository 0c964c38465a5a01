package scaling

import (
	"context"
	"testing"
)

// BenchmarkOpenNode measures a node's start: an empty in-memory database
// filled with the 2,000 members of the demo data, as every replica and
// shard demo does for each of its nodes.
func BenchmarkOpenNode(b *testing.B) {
	members := testMembers(2000)
	ctx := context.Background()
	for b.Loop() {
		n, err := openNode(ctx, "bench", Options{}.tracer(), members)
		if err != nil {
			b.Fatal(err)
		}
		n.close()
	}
}
