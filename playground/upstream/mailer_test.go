package upstream

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

const mail = `{"from":"shop@example.com","to":"ada@example.org","subject":"Your order","text":"Thanks!"}`

func TestSendMessage(t *testing.T) {
	clock := newClock()
	m := startMailer(t, MailerOptions{Seed: 1, Now: clock.Now})
	c := newClient(t, m, "acct_mail")
	r := c.do("POST", "/v1/messages", "", mail)
	if r.status != http.StatusAccepted || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q, body %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	var receipt Message
	r.into(t, &receipt)
	want := Message{ID: receipt.ID, Status: MessageDelivered, From: "shop@example.com", To: "ada@example.org",
		Subject: "Your order", Created: clock.Now().Unix()}
	if !strings.HasPrefix(receipt.ID, "msg_") || len(receipt.ID) != 20 || receipt != want {
		t.Errorf("receipt = %+v, want %+v", receipt, want)
	}
	if bytes.Contains(r.body, []byte(`"text"`)) {
		t.Errorf("receipt shows the text: %s", r.body)
	}
	var got Message
	c.do("GET", "/v1/messages/"+receipt.ID, "", "").into(t, &got)
	want.Text = "Thanks!"
	if got != want {
		t.Errorf("GET = %+v, want %+v", got, want)
	}
}

func TestSendMessageValidation(t *testing.T) {
	m := startMailer(t, MailerOptions{Seed: 2})
	c := newClient(t, m, "acct_mail_validation")
	body := func(from, to, subject, text string) string {
		return fmt.Sprintf(`{"from":%q,"to":%q,"subject":%q,"text":%q}`, from, to, subject, text)
	}
	const a, b = "a@example.com", "b@example.com"
	tests := []struct {
		name, body, code, field string
	}{
		{"from missing", `{"to":"b@example.com","subject":"s","text":"t"}`, "missing_field", "from"},
		{"to empty", body(a, "", "s", "t"), "missing_field", "to"},
		{"subject missing", body(a, b, "", "t"), "missing_field", "subject"},
		{"text missing", body(a, b, "s", ""), "missing_field", "text"},
		{"from not an address", body("shop", b, "s", "t"), "invalid_address", "from"},
		{"to with a display name", body(a, "Ada <ada@example.org>", "s", "t"), "invalid_address", "to"},
		{"to without a dot in the domain", body(a, "ada@localhost", "s", "t"), "invalid_address", "to"},
		{"subject too long", body(a, b, strings.Repeat("é", MaxSubjectChars+1), "t"), "invalid_subject", "subject"},
		{"subject with a line break", body(a, b, "hi\r\nBcc: all@example.com", "t"), "invalid_subject", "subject"},
		{"text too long", body(a, b, "s", strings.Repeat("x", MaxTextBytes+1)), "invalid_text", "text"},
		{"to a number", `{"from":"a@example.com","to":5,"subject":"s","text":"t"}`, "invalid_type", "to"},
		{"unknown field", `{"from":"a@example.com","to":"b@example.com","subject":"s","text":"t","cc":"c@example.com"}`, "unknown_field", "cc"},
		{"not json", `to=b@example.com`, "invalid_json", ""},
		{"empty", ``, "invalid_json", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do("POST", "/v1/messages", "", tt.body)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400 (body %s)", r.status, r.body)
			}
			if e := r.apiError(t); e.Code != tt.code || e.Field != tt.field || e.Message == "" {
				t.Errorf("error = %+v, want code %q field %q", e, tt.code, tt.field)
			}
		})
	}
	long := body(a, b, strings.Repeat("é", MaxSubjectChars), strings.Repeat("x", MaxTextBytes))
	if r := c.do("POST", "/v1/messages", "", long); r.status != http.StatusAccepted {
		t.Errorf("subject and text at their limits: status %d, body %s", r.status, r.body)
	}
}

func TestMailbox(t *testing.T) {
	m := startMailer(t, MailerOptions{Seed: 3})
	c := newClient(t, m, "acct_box")
	other := newClient(t, m, "acct_box_other")
	var ids []string
	for i := range MaxMailbox + 5 {
		r := c.do("POST", "/v1/messages", "", fmt.Sprintf(`{"from":"a@example.com","to":"b@example.com","subject":"n%d","text":"t"}`, i))
		var msg Message
		r.into(t, &msg)
		ids = append(ids, msg.ID)
	}
	tests := []struct {
		name     string
		client   *client
		query    string
		total    int
		subjects []string // expected, newest first; nil: only the count is checked
		count    int
	}{
		{"default limit", c, "", MaxMailbox, nil, DefaultMessageLimit},
		{"limit 3", c, "?limit=3", MaxMailbox, []string{"n54", "n53", "n52"}, 3},
		{"limit 50 keeps the newest 50", c, "?limit=50", MaxMailbox, nil, MaxMailbox},
		{"another account's mailbox is empty", other, "?limit=5", 0, []string{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var list MessageList
			r := tt.client.do("GET", "/v1/messages"+tt.query, "", "")
			if r.status != http.StatusOK {
				t.Fatalf("status %d, body %s", r.status, r.body)
			}
			r.into(t, &list)
			if list.Total != tt.total || len(list.Messages) != tt.count {
				t.Fatalf("total %d with %d messages, want %d with %d", list.Total, len(list.Messages), tt.total, tt.count)
			}
			for i, s := range tt.subjects {
				if list.Messages[i].Subject != s || list.Messages[i].Text != "t" {
					t.Errorf("message %d = %+v, want subject %q", i, list.Messages[i], s)
				}
			}
			if tt.count == MaxMailbox && list.Messages[MaxMailbox-1].Subject != "n5" {
				t.Errorf("oldest kept = %q, want n5", list.Messages[MaxMailbox-1].Subject)
			}
		})
	}
	for _, q := range []string{"0", "51", "-1", "ten", "1.5"} {
		r := c.do("GET", "/v1/messages?limit="+q, "", "")
		if e := r.apiError(t); r.status != http.StatusBadRequest || e.Code != "invalid_limit" || e.Field != "limit" {
			t.Errorf("limit=%s: status %d, error %+v", q, r.status, e)
		}
	}
	for _, tt := range []struct {
		name   string
		client *client
		id     string
		status int
	}{
		{"dropped from the mailbox", c, ids[0], 404},
		{"kept", c, ids[5], 200},
		{"another account's message", other, ids[5], 404},
	} {
		if r := tt.client.do("GET", "/v1/messages/"+tt.id, "", ""); r.status != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, r.status, tt.status)
		} else if tt.status == 404 && r.apiError(t).Field != "id" {
			t.Errorf("%s: error %s", tt.name, r.body)
		}
	}
	var del struct{ Deleted int }
	c.do("DELETE", "/v1/messages", "", "").into(t, &del)
	var list MessageList
	c.do("GET", "/v1/messages", "", "").into(t, &list)
	if del.Deleted != MaxMailbox || list.Total != 0 || list.Messages == nil {
		t.Errorf("after DELETE: deleted %d, list %+v", del.Deleted, list)
	}
}

func TestMailboxBytesCap(t *testing.T) {
	var b mailbox
	text := strings.Repeat("x", MaxTextBytes)
	for i := range 30 {
		b.add(&Message{ID: fmt.Sprint(i), Text: text})
	}
	want := maxMailboxBytes / MaxTextBytes
	if len(b.messages) != want || b.messages[0].ID != fmt.Sprint(30-want) {
		t.Errorf("kept %d messages from %s, want %d from %d", len(b.messages), b.messages[0].ID, want, 30-want)
	}
}

func TestSendIsIdempotent(t *testing.T) {
	m := startMailer(t, MailerOptions{Seed: 4})
	c := newClient(t, m, "acct_mail_idem")
	first := c.do("POST", "/v1/messages", "order-42-confirmation", mail)
	retry := c.do("POST", "/v1/messages", "order-42-confirmation", mail)
	if first.status != 202 || !bytes.Equal(first.body, retry.body) || retry.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %d %s (replayed %q), first %s", retry.status, retry.body, retry.header.Get("Idempotent-Replayed"), first.body)
	}
	other := strings.Replace(mail, "Your order", "Your other order", 1)
	if r := c.do("POST", "/v1/messages", "order-42-confirmation", other); r.status != 422 || r.apiError(t).Code != "idempotency_key_reused" {
		t.Errorf("key reused: %d %s", r.status, r.body)
	}
	if r := c.do("POST", "/v1/messages", "", mail); r.status != 202 {
		t.Errorf("without a key: %d %s", r.status, r.body)
	}
	var list MessageList
	c.do("GET", "/v1/messages", "", "").into(t, &list)
	if list.Total != 2 {
		t.Errorf("mailbox holds %d messages, want 2 (the retry delivered nothing)", list.Total)
	}
}

func TestLooksLikeEmail(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{"ada@example.org", true}, {"a.b+tag@mail.example.co.uk", true}, {"x@a-b.io", true},
		{"", false}, {"ada", false}, {"@example.org", false}, {"ada@", false}, {"ada@org", false},
		{"a@b@example.org", false}, {"a b@example.org", false}, {"ada@-x.org", false}, {"ada@x-.org", false},
		{"ada@ex..org", false}, {"ada@exa_mple.org", false}, {"<ada>@example.org", false}, {"adä@example.org", false},
		{strings.Repeat("a", 65) + "@example.org", false}, {"a@" + strings.Repeat("b", 250) + ".org", false},
	} {
		if got := LooksLikeEmail(tt.s); got != tt.want {
			t.Errorf("LooksLikeEmail(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}
