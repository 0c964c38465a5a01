package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/engineroom/engineroom/web"
)

// TestVisitorPinnedToInstance is two instances behind Fly.io's proxy,
// sharing the cookie key: a visitor stays on the instance that holds their
// sandbox (another one asks the proxy to replay the request there), and
// when that instance is gone the replay lands elsewhere, which keeps the
// visitor from then on and says their database is a fresh copy.
func TestVisitorPinnedToInstance(t *testing.T) {
	secret := []byte("a key both instances share, 32 b")
	a := newServer(t, web.Config{Secret: secret, Instance: "aaa1"})
	b := newServer(t, web.Config{Secret: secret, Instance: "bbb2"})
	replayed := http.Header{"Fly-Replay-Src": {"instance=aaa1;region=ams;t=1"}}

	type sqlReply struct {
		Recycled   bool `json:"recycled"`
		Statements []struct {
			Rows [][]any `json:"rows"`
		} `json:"statements"`
	}
	miles := func(c *client, h http.Header) (reply, sqlReply) {
		t.Helper()
		r := c.send(http.MethodPost, "/api/v1/sql", `{"sql": "SELECT miles FROM members WHERE id = 1"}`, withJSON(h))
		var body sqlReply
		if r.StatusCode == http.StatusOK {
			if err := json.Unmarshal([]byte(r.text), &body); err != nil {
				t.Fatalf("decoding %.300s: %v", r.text, err)
			}
		}
		return r, body
	}

	c := primed(t, a)
	if got := c.cookie("er_instance"); got != "aaa1" {
		t.Fatalf("a new visitor on aaa1 is pinned to %q", got)
	}
	c.h = a
	if r := c.postJSON("/api/v1/sql", `{"sql": "UPDATE members SET miles = 7 WHERE id = 1"}`, nil); r.StatusCode != http.StatusOK {
		t.Fatalf("the update on aaa1: status %d: %.300s", r.StatusCode, r.text)
	}

	// The proxy sends the visitor's next request to bbb2: it asks for a
	// replay on aaa1 and does nothing else.
	c.h = b
	for _, r := range []reply{c.get(lessonPath, nil), func() reply { r, _ := miles(c, nil); return r }()} {
		if r.StatusCode != http.StatusMisdirectedRequest || r.Header.Get("Fly-Replay") != "prefer_instance=aaa1" {
			t.Errorf("on another instance: status %d, Fly-Replay %q; want 421 and prefer_instance=aaa1", r.StatusCode, r.Header.Get("Fly-Replay"))
		}
		if len(r.Cookies()) != 0 {
			t.Errorf("the replay answer sets cookies: %v", r.Cookies())
		}
	}

	// The replay reaches aaa1: the visitor's data is there, untold.
	c.h = a
	if r, body := miles(c, replayed); r.StatusCode != http.StatusOK || body.Recycled || len(body.Statements) != 1 || fmt.Sprint(body.Statements[0].Rows[0][0]) != "7" {
		t.Errorf("replayed to aaa1: status %d, %+v; want miles 7, not recycled", r.StatusCode, body)
	}

	// aaa1 is gone: the proxy falls back to bbb2 with the replay header.
	c.h = b
	r, body := miles(c, replayed)
	if r.StatusCode != http.StatusOK || !body.Recycled {
		t.Fatalf("fallen back to bbb2: status %d, recycled %v; want 200 and told the database is a fresh copy: %.300s", r.StatusCode, body.Recycled, r.text)
	}
	if ck := setCookie(r, "er_instance"); ck == nil || ck.Value != "bbb2" || !ck.HttpOnly {
		t.Errorf("after the fallback the visitor is pinned by %+v, want er_instance=bbb2, HttpOnly", ck)
	}
	if r, body := miles(c, nil); r.StatusCode != http.StatusOK || body.Recycled {
		t.Errorf("back on bbb2 directly: status %d, recycled %v; want 200, told once", r.StatusCode, body.Recycled)
	}

	t.Run("a cookie that is no instance id is ignored", func(t *testing.T) {
		c := primed(t, b)
		c.jar["er_instance"] = &http.Cookie{Name: "er_instance", Value: "AAA-1"}
		r := c.get(lessonPath, nil)
		if r.StatusCode != http.StatusOK || r.Header.Get("Fly-Replay") != "" {
			t.Errorf("status %d, Fly-Replay %q; want 200, no replay", r.StatusCode, r.Header.Get("Fly-Replay"))
		}
		if got := c.cookie("er_instance"); got != "bbb2" {
			t.Errorf("pinned to %q, want bbb2", got)
		}
	})
	t.Run("a new visitor is served where they land", func(t *testing.T) {
		c := newClient(t, b)
		c.jar["er_instance"] = &http.Cookie{Name: "er_instance", Value: "aaa1"}
		if r := c.get(lessonPath, nil); r.StatusCode != http.StatusOK {
			t.Errorf("status %d, want 200: a new visitor has no sandbox anywhere", r.StatusCode)
		}
		if got := c.cookie("er_instance"); got != "bbb2" {
			t.Errorf("pinned to %q, want bbb2", got)
		}
	})
	t.Run("one instance pins nothing", func(t *testing.T) {
		c := primed(t, newServer(t, web.Config{Secret: secret}))
		c.jar["er_instance"] = &http.Cookie{Name: "er_instance", Value: "aaa1"}
		r := c.get(lessonPath, nil)
		if r.StatusCode != http.StatusOK || setCookie(r, "er_instance") != nil {
			t.Errorf("status %d, er_instance %v; want 200 and no pin", r.StatusCode, setCookie(r, "er_instance"))
		}
	})
}

// withJSON adds the JSON content type to h.
func withJSON(h http.Header) http.Header {
	hh := h.Clone()
	if hh == nil {
		hh = http.Header{}
	}
	hh.Set("Content-Type", "application/json")
	return hh
}
