package outbound

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestRedact(t *testing.T) {
	h := http.Header{
		"Authorization": {"Bearer sk_1"}, "Cookie": {"sid=abc"}, "X-Api-Key": {"k"},
		"Proxy-Authorization": {"Basic dXNlcjpw"}, "Accept": {"application/json"},
	}
	got := map[string]string{}
	for _, kv := range headerAttrs("h.", h) {
		got[string(kv.Key)] = kv.Value.Emit()
	}
	want := map[string]string{
		"h.authorization": `["Bearer [redacted]"]`, "h.cookie": `["[redacted]"]`, "h.x-api-key": `["[redacted]"]`,
		"h.proxy-authorization": `["Basic [redacted]"]`, "h.accept": `["application/json"]`,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %v", got)
	}
}

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{
		240 * time.Millisecond: "240 ms", 0: "0 ms", time.Second: "1 s",
		1549 * time.Millisecond: "1.5 s", 2999 * time.Millisecond: "3 s", 30 * time.Second: "30 s",
	} {
		if got := human(d); got != want {
			t.Errorf("human(%v) = %q, want %q", d, got, want)
		}
	}
}
func TestDefaultPorts(t *testing.T) {
	for raw, want := range map[string]int{"http://a.example": 80, "https://a.example/x": 443, "http://a.example:8080": 8080} {
		u, _ := url.Parse(raw)
		if got := port(u); got != want {
			t.Errorf("port(%s) = %d, want %d", raw, got, want)
		}
	}
}
