package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
)

// TestClassOnOneAddress is a lecture hall behind one NAT, with the
// server's default limits: 300 students open the lesson and each gets a
// sandbox; a script on the same address minting cookies in a loop, and a
// student firing queries as fast as they can, are slowed with 429 and
// Retry-After, while the class is still served and keeps its sandboxes
// (the script's, used once, are the first to go when memory runs short).
func TestClassOnOneAddress(t *testing.T) {
	srv := newClassServer(t)

	const hall = "198.51.100.7"
	students := make([]*client, 300)
	for i := range students {
		c := primed(t, srv)
		c.remote = fmt.Sprintf("%s:%d", hall, 20000+i)
		students[i] = c
	}
	query := func(c *client) (reply, classReply) {
		t.Helper()
		r := c.postJSON("/api/v1/sql", `{"sql": "SELECT count(*) FROM flights"}`, nil)
		var body classReply
		if r.StatusCode == http.StatusOK {
			if err := json.Unmarshal([]byte(r.text), &body); err != nil {
				t.Fatalf("decoding %.300s: %v", r.text, err)
			}
		}
		return r, body
	}
	// Every student runs the query twice: creating the sandbox, then
	// coming back to it.
	for round := range 2 {
		for i, c := range students {
			if r, _ := query(c); r.StatusCode != http.StatusOK {
				t.Fatalf("student %d's query %d: status %d: %.300s", i+1, round+1, r.StatusCode, r.text)
			}
		}
	}

	t.Run("a script minting cookies is limited", func(t *testing.T) {
		statuses := map[int]int{}
		for i := range 60 {
			script := newClient(t, srv)
			script.remote = fmt.Sprintf("%s:%d", hall, 40000+i)
			r, _ := query(script)
			statuses[r.StatusCode]++
			if r.StatusCode == http.StatusTooManyRequests {
				assertRetryAfter(t, r, 1, 60)
			}
		}
		// A burst of 20 new visitor ids, then 20 a minute.
		if statuses[http.StatusOK] < 20 || statuses[http.StatusOK] > 22 || statuses[http.StatusOK]+statuses[http.StatusTooManyRequests] != 60 {
			t.Errorf("statuses = %v, want 20 × 200 then 429s", statuses)
		}
	})

	t.Run("a student firing queries is slowed", func(t *testing.T) {
		statuses := map[int]int{}
		for range 30 {
			r, _ := query(students[0])
			statuses[r.StatusCode]++
			if r.StatusCode == http.StatusTooManyRequests {
				assertRetryAfter(t, r, 1, 1)
			}
		}
		// A burst of 10, less the two queries before, then two a second.
		if statuses[http.StatusOK] > 11 || statuses[http.StatusTooManyRequests] < 19 {
			t.Errorf("statuses = %v, want about 8 × 200 and the rest 429", statuses)
		}
	})

	t.Run("the class is still served", func(t *testing.T) {
		for i, c := range students[1:] {
			r, body := query(c)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("student %d: status %d: %.300s", i+2, r.StatusCode, r.text)
			}
			if body.Recycled {
				t.Errorf("student %d lost their sandbox", i+2)
			}
		}
	})
}

// classReply is the part of the SQL API's answer the class test reads.
type classReply struct {
	Recycled bool `json:"recycled"`
}

// assertRetryAfter checks a refusal says when to come back, in whole
// seconds between lo and hi.
func assertRetryAfter(t *testing.T, r reply, lo, hi int) {
	t.Helper()
	n, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || n < lo || n > hi {
		t.Errorf("Retry-After = %q, want %d–%d seconds", r.Header.Get("Retry-After"), lo, hi)
	}
}
