package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/web"
)

// TestRoomAcrossInstances is two servers given one Redis, as REDIS_URL
// gives it to each instance behind a load balancer: the teacher's browser
// talks to A, the student's to B.
func TestRoomAcrossInstances(t *testing.T) {
	mr := miniredis.RunT(t)
	cfg := web.Config{RedisURL: "redis://" + mr.Addr(), Sandbox: sandbox.Options{QueryTimeout: 30 * time.Second}}
	a, b := newServer(t, cfg), newServer(t, cfg)
	tsB := httptest.NewServer(b)
	t.Cleanup(tsB.Close) // after the streams below end
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(hc.CloseIdleConnections)

	teacher := primed(t, a)
	code := startRoom(t, teacher)
	student := newClient(t, b)
	page := parseHTML(t, student.get("/rooms/"+code, nil).text)
	if role := page.Find(`[data-room-code="`+code+`"]`).AttrOr("data-room-role", ""); role != "follow" {
		t.Errorf("student's room page on B: role = %q, want follow", role)
	}
	if r := student.get("/rooms/join?code="+strings.ToLower(code), nil); r.StatusCode != http.StatusSeeOther {
		t.Errorf("joining on B: status %d, want 303", r.StatusCode)
	}

	s := openStream(t, hc, tsB.URL, code)
	steps := []string{
		`{"path":"/lessons/a"}`,
		`{"path":"/lessons/b","demo":"request-echo","step":2}`,
	}
	for _, body := range steps {
		if r := publish(teacher, code, body); r.StatusCode != http.StatusNoContent {
			t.Fatalf("publish on A: status %d, body %s", r.StatusCode, r.text)
		}
		if got := s.nextData(t); got != body {
			t.Errorf("event on B = %s, want %s", got, body)
		}
	}
	late := openStream(t, hc, tsB.URL, code)
	if got := late.nextData(t); got != steps[len(steps)-1] {
		t.Errorf("a later follower on B first got %s, want the latest state", got)
	}

	// Without its Redis, B answers 503 with Retry-After, not 404.
	mr.Close()
	for _, path := range []string{"/rooms/" + code, "/rooms/" + code + "/events", "/rooms/join?code=" + code} {
		r := student.get(path, nil)
		if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
			t.Errorf("GET %s without Redis: status %d, Retry-After %q; want 503 with Retry-After", path, r.StatusCode, r.Header.Get("Retry-After"))
		}
	}
}
