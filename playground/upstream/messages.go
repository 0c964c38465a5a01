package upstream

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// sendRequest is the body of POST /v1/messages.
type sendRequest struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
}

// validate names the first field that is missing or wrong.
func (req sendRequest) validate() *response {
	bad := func(code, msg, field string) *response {
		e := errorResponse(http.StatusBadRequest, code, msg, field)
		return &e
	}
	for _, f := range []struct{ name, value string }{
		{"from", req.From}, {"to", req.To}, {"subject", req.Subject}, {"text", req.Text},
	} {
		if f.value == "" {
			return bad("missing_field", f.name+" is required", f.name)
		}
	}
	switch {
	case !LooksLikeEmail(req.From):
		return bad("invalid_address", "from must be an address like name@example.com", "from")
	case !LooksLikeEmail(req.To):
		return bad("invalid_address", "to must be an address like name@example.com", "to")
	case utf8.RuneCountInString(req.Subject) > MaxSubjectChars:
		return bad("invalid_subject", "subject must be at most 200 characters", "subject")
	case strings.ContainsAny(req.Subject, "\r\n"):
		return bad("invalid_subject", "subject must be one line", "subject")
	case len(req.Text) > MaxTextBytes:
		return bad("invalid_text", "text must be at most 10 KiB", "text")
	}
	return nil
}

// sendMessage accepts a message and puts it in the account's mailbox.
func (m *Mailer) sendMessage(_ *http.Request, a *account[*mailbox], body []byte) response {
	var req sendRequest
	if e := decode(body, &req, false); e != nil {
		return *e
	}
	if e := req.validate(); e != nil {
		return *e
	}
	msg := &Message{
		ID:      randomID("msg", a.rng),
		Status:  MessageDelivered,
		From:    req.From,
		To:      req.To,
		Subject: req.Subject,
		Text:    req.Text,
		Created: unix(m.svc.now()),
	}
	a.state.add(msg)
	receipt := *msg
	receipt.Text = ""
	return jsonResponse(http.StatusAccepted, receipt)
}

// add appends msg, dropping the oldest messages beyond the caps.
func (b *mailbox) add(msg *Message) {
	b.messages = append(b.messages, msg)
	size := 0
	for _, m := range b.messages {
		size += len(m.Text)
	}
	drop := 0
	for len(b.messages)-drop > MaxMailbox || size > maxMailboxBytes {
		size -= len(b.messages[drop].Text)
		drop++
	}
	if drop > 0 {
		b.messages = append([]*Message(nil), b.messages[drop:]...)
	}
}

// listMessages shows the newest messages first, ?limit=1..50 of them.
func (m *Mailer) listMessages(r *http.Request, a *account[*mailbox], _ []byte) response {
	limit, e := listLimit(r, DefaultMessageLimit, MaxMailbox)
	if e != nil {
		return *e
	}
	all := a.state.messages
	list := MessageList{Messages: []Message{}, Total: len(all)}
	for i := len(all) - 1; i >= 0 && len(list.Messages) < limit; i-- {
		list.Messages = append(list.Messages, *all[i])
	}
	return jsonResponse(http.StatusOK, list)
}

// getMessage shows one message of the account's mailbox.
func (m *Mailer) getMessage(r *http.Request, a *account[*mailbox], _ []byte) response {
	for _, msg := range a.state.messages {
		if msg.ID == r.PathValue("id") {
			return jsonResponse(http.StatusOK, msg)
		}
	}
	return notFound("message")
}

// emptyMailbox deletes every message of the account's mailbox.
func (m *Mailer) emptyMailbox(_ *http.Request, a *account[*mailbox], _ []byte) response {
	n := len(a.state.messages)
	a.state.messages = nil
	return jsonResponse(http.StatusOK, struct {
		Deleted int `json:"deleted"`
	}{n})
}

// LooksLikeEmail reports whether s has the shape the email service
// accepts, local@domain.tld: one
// @, a local part of 1 to 64 printable characters without spaces or
// specials, and a domain of two or more labels of letters, digits and -.
func LooksLikeEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || len(s) > 254 || local == "" || len(local) > 64 {
		return false
	}
	for _, c := range []byte(local) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),:;<>@[\]`, c) >= 0 {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range []byte(l) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// listLimit reads ?limit= as a whole number from 1 to max (def when
// absent).
func listLimit(r *http.Request, def, max int) (int, *response) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		e := errorResponse(http.StatusBadRequest, "invalid_limit", "limit must be a whole number from 1 to "+strconv.Itoa(max), "limit")
		return 0, &e
	}
	return n, nil
}
