package scaling

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// recorded returns options that record spans, and the recorder.
func recorded(t *testing.T) (Options, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	return Options{Tracer: tp.Tracer("test")}, rec
}

// attrs lists each ended span's name with the value of key, "" if unset.
func attrs(rec *tracetest.SpanRecorder, key string) map[string]string {
	out := map[string]string{}
	for _, s := range rec.Ended() {
		out[s.Name()] = ""
		for _, kv := range s.Attributes() {
			if string(kv.Key) == key {
				out[s.Name()] = kv.Value.Emit()
			}
		}
	}
	return out
}

func TestSpansNameTheirDatabase(t *testing.T) {
	opts, rec := recorded(t)
	if _, err := ReadYourWrite(context.Background(), testMembers(4), 1, 10, ReadReplica, ReplicaOptions{Options: opts, Lag: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	s, err := OpenShards(context.Background(), testMembers(4), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, err := s.Lookup(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	got := attrs(rec, string(NodeKey))
	for name, want := range map[string]string{
		"UPDATE on primary":                        "primary",
		"SELECT on replica":                        "replica",
		"route member 3 to shard-1":                "shard-1",
		"SELECT on shard-1":                        "shard-1",
		"wait for the replica to reach position 1": "",
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("span %q: %s = %q (recorded %v); want %q", name, NodeKey, v, ok, want)
		}
	}
	if key := attrs(rec, "engineroom.shard.key")["route member 3 to shard-1"]; key != "3" {
		t.Errorf("engineroom.shard.key = %q, want 3", key)
	}
}

func TestBurstSpansSayWhatTheGateDid(t *testing.T) {
	opts, rec := recorded(t)
	rep, err := Burst(context.Background(), testMembers(4), 8, BurstOptions{Options: opts, Hold: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for name, outcome := range attrs(rec, "engineroom.gate.outcome") {
		if len(name) > 6 && name[:6] == "query " {
			counts[outcome]++
		}
	}
	if counts[RanAtOnce] != rep.Ran || counts[Waited] != rep.Waited || counts[Refused] != rep.Refused || counts[Refused] != 2 {
		t.Errorf("span outcomes %v; report ran %d, waited %d, refused %d", counts, rep.Ran, rep.Waited, rep.Refused)
	}
}
