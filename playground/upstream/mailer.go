package upstream

import "time"

// Limits of the mailer.
const (
	// MaxSubjectChars caps a message's subject, in characters.
	MaxSubjectChars = 200
	// MaxTextBytes caps a message's text, in bytes.
	MaxTextBytes = 10 << 10
	// MaxMailbox caps the messages kept per account; the oldest are
	// dropped first.
	MaxMailbox = 50
	// maxMailboxBytes caps the text kept per account; the oldest
	// messages are dropped first.
	maxMailboxBytes = 256 << 10
	// DefaultMessageLimit is how many messages GET /v1/messages shows when
	// no limit is given.
	DefaultMessageLimit = 20
)

// MessageDelivered is the status of every accepted message.
const MessageDelivered = "delivered"

// MailerOptions configures a Mailer. Zero values mean the documented
// default.
type MailerOptions struct {
	// Seed seeds every random decision: message ids, jitter and
	// error_rate faults.
	Seed uint64
	// Now is the clock of created times and idempotency keys. Default
	// time.Now.
	Now func() time.Time
	// MaxHang caps how long the hang fault holds a request. Default 30s.
	MaxHang time.Duration
	// IdempotencyTTL is how long an idempotency key is remembered, on the
	// Now clock. Default 24h.
	IdempotencyTTL time.Duration
	// MaxIdempotencyKeys caps the keys remembered per account; the oldest
	// are dropped first. Default 1,000.
	MaxIdempotencyKeys int
	// MaxAccounts caps the accounts kept; the least recently used one is
	// dropped (with its mailbox) to make room. Default 1,000.
	MaxAccounts int
}

// Mailer is a simulated email service serving HTTP on a loopback port.
// It delivers nothing: every message it accepts lands in the sending
// account's own mailbox, which the same account reads back over HTTP.
type Mailer struct {
	svc *service[*mailbox]
}

// Message is an email as the API shows it.
type Message struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	From    string `json:"from"`
	To      string `json:"to"`
	Subject string `json:"subject"`
	// Text is left out of the answer to POST /v1/messages, as a real
	// provider would, so replayed answers stay small.
	Text    string `json:"text,omitempty"`
	Created int64  `json:"created"`
}

// MessageList is the body of GET /v1/messages.
type MessageList struct {
	// Messages are the newest first, at most limit of them.
	Messages []Message `json:"messages"`
	// Total counts the messages in the mailbox.
	Total int `json:"total"`
}

// mailbox is one account's messages, oldest first.
type mailbox struct {
	messages []*Message
}

// StartMailer starts a mailer on a free loopback port.
func StartMailer(opts MailerOptions) (*Mailer, error) {
	cfg := config{
		seed: opts.Seed, now: opts.Now, maxHang: opts.MaxHang, idempotencyTTL: opts.IdempotencyTTL,
		maxIdemKeys: opts.MaxIdempotencyKeys, maxAccounts: opts.MaxAccounts,
	}
	if cfg.maxIdemKeys <= 0 {
		cfg.maxIdemKeys = 1_000
	}
	if cfg.maxAccounts <= 0 {
		cfg.maxAccounts = 1_000
	}
	m := &Mailer{}
	m.svc = newService("mailer", cfg, func() *mailbox { return &mailbox{} })
	if err := m.svc.start(m.routes()); err != nil {
		return nil, err
	}
	return m, nil
}

// routes is the mailer's route table (the service adds /v1/faults).
func (m *Mailer) routes() []route[*mailbox] {
	return []route[*mailbox]{
		{"POST /v1/messages", m.sendMessage},
		{"GET /v1/messages", m.listMessages},
		{"DELETE /v1/messages", m.emptyMailbox},
		{"GET /v1/messages/{id}", m.getMessage},
	}
}

// URL is the mailer's base URL, http://127.0.0.1:<port>.
func (m *Mailer) URL() string { return m.svc.url }

// Close stops the server, releases held requests and waits for the
// server's goroutines. It is safe to call more than once.
func (m *Mailer) Close() error { return m.svc.close() }
