package web_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// startRoom posts the start form as a teacher and returns the room code.
func startRoom(t *testing.T, teacher *client) string {
	t.Helper()
	r := teacher.postForm("/rooms", url.Values{"_csrf": {teacher.cookie(csrfCookie)}, "back": {lessonPath}}, nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /rooms: status %d, want 303; body:\n%.300s", r.StatusCode, r.text)
	}
	loc := r.Header.Get("Location")
	code, ok := strings.CutPrefix(loc, "/rooms/")
	code, _, _ = strings.Cut(code, "?")
	if !ok || len(code) != 5 || !strings.HasSuffix(loc, "?back="+url.QueryEscape(lessonPath)) {
		t.Fatalf("Location = %q, want /rooms/<5-letter code>?back=…", loc)
	}
	ck := setCookie(r, "er_teach")
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/rooms/" || !strings.HasPrefix(ck.Value, code+".") {
		t.Fatalf("teacher cookie = %+v", ck)
	}
	return code
}

// eventStream reads a room's SSE stream line by line in the background.
type eventStream struct {
	res   *http.Response
	lines chan string
}

func openStream(t *testing.T, hc *http.Client, base, code string) *eventStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/rooms/"+code+"/events", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" ||
		res.Header.Get("Content-Encoding") != "" || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("events: status %d, headers %v", res.StatusCode, res.Header)
	}
	s := &eventStream{res: res, lines: make(chan string, 64)}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	return s
}

// nextData waits up to a second for the next "data:" line.
func (s *eventStream) nextData(t *testing.T) string {
	t.Helper()
	timeout := time.After(time.Second)
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				t.Fatal("stream ended, want an event")
			}
			if d, ok := strings.CutPrefix(line, "data: "); ok {
				return d
			}
		case <-timeout:
			t.Fatal("no event within a second")
		}
	}
}

// ended waits up to a second for the stream to end.
func (s *eventStream) ended(t *testing.T) {
	t.Helper()
	timeout := time.After(time.Second)
	for {
		select {
		case _, ok := <-s.lines:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("stream still open a second after the server closed")
		}
	}
}

func publish(teacher *client, code, body string) reply {
	return teacher.postJSON("/rooms/"+code+"/state", body, nil)
}

func TestRoomFollowsTeacher(t *testing.T) {
	srv := newDemoServer(t)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()

	teacher := primed(t, srv)
	code := startRoom(t, teacher)
	page := parseHTML(t, teacher.get("/rooms/"+code+"?back="+url.QueryEscape(lessonPath), nil).text)
	if role := page.Find(`[data-room-code="`+code+`"]`).AttrOr("data-room-role", ""); role != "teach" {
		t.Errorf("teacher's room page role = %q, want teach", role)
	}
	if href := page.Find(".join-back a").AttrOr("href", ""); href != lessonPath {
		t.Errorf("start presenting link = %q, want %s", href, lessonPath)
	}
	student := newClient(t, srv)
	page = parseHTML(t, student.get("/rooms/"+strings.ToLower(code), nil).text)
	if role := page.Find(`[data-room-code="`+code+`"]`).AttrOr("data-room-role", ""); role != "follow" {
		t.Errorf("student's room page role = %q, want follow", role)
	}

	if r := publish(teacher, code, `{"path":"/lessons/a"}`); r.StatusCode != http.StatusNoContent {
		t.Fatalf("publish: status %d, body %s", r.StatusCode, r.text)
	}
	if r := publish(teacher, code, `{"path":"/lessons/b","demo":"request-echo","step":2}`); r.StatusCode != http.StatusNoContent {
		t.Fatalf("publish: status %d, body %s", r.StatusCode, r.text)
	}
	s := openStream(t, hc, ts.URL, code)
	if got, want := s.nextData(t), `{"path":"/lessons/b","demo":"request-echo","step":2}`; got != want {
		t.Errorf("first event = %s, want the latest state %s", got, want)
	}
	publish(teacher, code, `{"path":"/lessons/b","demo":"request-echo","step":3}`)
	if got, want := s.nextData(t), `{"path":"/lessons/b","demo":"request-echo","step":3}`; got != want {
		t.Errorf("next event = %s, want %s", got, want)
	}
	// Closing the server ends the stream, and Shutdown does not wait for it.
	ign := goleak.IgnoreCurrent()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	if err := ts.Config.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Shutdown took %v with a stream open", d)
	}
	s.ended(t)
	s.res.Body.Close()
	hc.CloseIdleConnections()
	goleak.VerifyNone(t, ign)
}

func TestRoomRefusals(t *testing.T) {
	srv := newDemoServer(t)
	teacher := primed(t, srv)
	code := startRoom(t, teacher)
	stranger := primed(t, srv)
	tests := []struct {
		name   string
		c      *client
		code   string
		body   string
		ctype  string
		status int
	}{
		{"no token", stranger, code, `{"path":"/"}`, "application/json", http.StatusForbidden},
		{"form encoded", teacher, code, `path=/`, "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"unknown room", teacher, "ZZZZZ", `{"path":"/"}`, "application/json", http.StatusNotFound},
		{"not JSON", teacher, code, `{`, "application/json", http.StatusBadRequest},
		{"other host", teacher, code, `{"path":"//evil.example/"}`, "application/json", http.StatusUnprocessableEntity},
		{"scheme", teacher, code, `{"path":"javascript:alert(1)"}`, "application/json", http.StatusUnprocessableEntity},
		{"long path", teacher, code, `{"path":"/` + strings.Repeat("a", 300) + `"}`, "application/json", http.StatusUnprocessableEntity},
		{"bad demo", teacher, code, `{"path":"/","demo":"<b>"}`, "application/json", http.StatusUnprocessableEntity},
		{"big body", teacher, code, `{"path":"/","demo":"` + strings.Repeat("a", 2000) + `"}`, "application/json", http.StatusRequestEntityTooLarge},
		{"ok", teacher, code, `{"path":"/lessons/x","step":1}`, "application/json", http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.c.send(http.MethodPost, "/rooms/"+tt.code+"/state", tt.body, hdr("Content-Type", tt.ctype))
			if r.StatusCode != tt.status {
				t.Errorf("status %d, want %d; body %.200s", r.StatusCode, tt.status, r.text)
			}
		})
	}
	for _, path := range []string{"/rooms/ZZZZZ", "/rooms/zz", "/rooms/ZZZZZ/events", "/rooms/join?code=ZZZZZ"} {
		r := stranger.get(path, nil)
		if r.StatusCode != http.StatusNotFound || !strings.Contains(r.text, "No room has the code") {
			t.Errorf("GET %s: status %d, want 404 with a clear message; body %.200s", path, r.StatusCode, r.text)
		}
	}
	if r := stranger.get("/rooms/join?code="+strings.ToLower(code), nil); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/rooms/"+code {
		t.Errorf("join by code: status %d, Location %q", r.StatusCode, r.Header.Get("Location"))
	}
	if r := stranger.postForm("/rooms", url.Values{}, nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("POST /rooms without a CSRF token: status %d, want 403", r.StatusCode)
	}
}

func TestRoomCap(t *testing.T) {
	srv := newDemoServer(t)
	teacher := primed(t, srv)
	form := url.Values{"_csrf": {teacher.cookie(csrfCookie)}}
	for i := range 200 {
		if r := teacher.postForm("/rooms", form, nil); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("room %d: status %d", i+1, r.StatusCode)
		}
	}
	r := teacher.postForm("/rooms", form, nil)
	if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Errorf("room 201: status %d, Retry-After %q; want 503 with Retry-After", r.StatusCode, r.Header.Get("Retry-After"))
	}
}
