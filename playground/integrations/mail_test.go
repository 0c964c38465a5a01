package integrations

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/engineroom/engineroom/playground/outbound"
	"github.com/engineroom/engineroom/playground/upstream"
)

func TestSendEmail(t *testing.T) {
	w := newWorld(t, nil)
	e := Email{To: "ada@example.com", Subject: "Your order", Text: "Thank you."}
	tests := []struct {
		name    string
		visitor string
		keys    []string // one send per key
		inbox   int      // messages in the inbox afterwards
		same    bool     // whether every send answered with the same message
	}{
		{name: "same key twice: delivered once", visitor: "lea", keys: []string{"conf-1", "conf-1"}, inbox: 1, same: true},
		{name: "no key twice: delivered twice", visitor: "max", keys: []string{"", ""}, inbox: 2},
		{name: "two keys: delivered twice", visitor: "ned", keys: []string{"conf-1", "conf-2"}, inbox: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := time.Now().Unix()
			var sent []Message
			for _, key := range tt.keys {
				m, err := w.app.SendEmail(context.Background(), tt.visitor, e, key)
				if err != nil {
					t.Fatalf("SendEmail(%q): %v", key, err)
				}
				if !strings.HasPrefix(m.ID, "msg_") || m.Status != upstream.MessageDelivered || m.From != From ||
					m.To != e.To || m.Subject != e.Subject || m.Text != "" || m.Created < before || m.Created > time.Now().Unix() {
					t.Errorf("message = %+v", m)
				}
				sent = append(sent, m)
			}
			if same := sent[0] == sent[1]; same != tt.same {
				t.Errorf("answers %+v and %+v: same %t, want %t", sent[0], sent[1], same, tt.same)
			}
			inbox, err := w.app.Inbox(context.Background(), tt.visitor, 10)
			if err != nil || len(inbox) != tt.inbox {
				t.Fatalf("Inbox = %+v, %v; want %d messages", inbox, err, tt.inbox)
			}
			for i, m := range inbox {
				want := sent[len(sent)-1-i] // newest first
				want.Text = e.Text
				if m != want {
					t.Errorf("inbox[%d] = %+v, want %+v", i, m, want)
				}
			}
		})
	}

	t.Run("refused", func(t *testing.T) {
		_, err := w.app.SendEmail(context.Background(), "olga", Email{To: "not an address", Subject: "Hi", Text: "Hello"}, "k")
		if e := asError(t, err); e.Kind != outbound.KindRejected || e.Status != 400 || e.Attempts != 1 {
			t.Errorf("error = %+v", e)
		}
		if code, _, field := ProblemOf(err); code != "invalid_address" || field != "to" {
			t.Errorf("ProblemOf = %q, field %q", code, field)
		}
		want := Outcome{Title: "Refused by the email service",
			Message: "To must be an address like name@example.com. Nothing was done; trying the same again will not help.", Safe: true}
		if got := Explain(EmailService, err, true); got != want {
			t.Errorf("Explain = %+v, want %+v", got, want)
		}
	})
}

func TestInbox(t *testing.T) {
	w := newWorld(t, nil)
	for i := range 3 {
		if _, err := w.app.SendEmail(context.Background(), "pia", Email{To: "pia@example.com",
			Subject: "Message " + strconv.Itoa(i), Text: "Text " + strconv.Itoa(i)}, ""); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		limit    int
		subjects []string
	}{
		{1, []string{"Message 2"}},
		{2, []string{"Message 2", "Message 1"}},
		{upstream.MaxMailbox, []string{"Message 2", "Message 1", "Message 0"}},
	}
	for _, tt := range tests {
		t.Run("limit "+strconv.Itoa(tt.limit), func(t *testing.T) {
			inbox, err := w.app.Inbox(context.Background(), "pia", tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var subjects []string
			for _, m := range inbox {
				subjects = append(subjects, m.Subject)
				if m.Text != "Text "+strings.TrimPrefix(m.Subject, "Message ") || m.From != From || m.To != "pia@example.com" {
					t.Errorf("message = %+v", m)
				}
			}
			if !reflect.DeepEqual(subjects, tt.subjects) {
				t.Errorf("subjects = %q, want %q", subjects, tt.subjects)
			}
		})
	}

	t.Run("limit out of range", func(t *testing.T) {
		inbox, err := w.app.Inbox(context.Background(), "pia", 0)
		if inbox != nil {
			t.Errorf("inbox = %+v", inbox)
		}
		if code, _, field := ProblemOf(err); code != "invalid_limit" || field != "limit" {
			t.Errorf("ProblemOf(%v) = %q, field %q", err, code, field)
		}
	})

	t.Run("an empty inbox", func(t *testing.T) {
		inbox, err := w.app.Inbox(context.Background(), "quinn", 5)
		if err != nil || len(inbox) != 0 {
			t.Errorf("Inbox = %+v, %v", inbox, err)
		}
	})

	t.Run("not through the sending breaker", func(t *testing.T) {
		if st := w.app.Breaker(EmailService, "pia"); st.Requests != 3 {
			t.Errorf("email breaker = %+v, want only the 3 sends", st)
		}
	})
}
