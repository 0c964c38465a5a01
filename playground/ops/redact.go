package ops

import "net/url"

// Redacted stands for a hidden part of a value.
const Redacted = "xxxxx"

// RedactURL hides what a URL may carry as a secret — the password of its
// user info and every query value — and keeps the rest, so a setting can
// be shown. Something that does not parse as a URL is hidden whole; an
// empty string stays empty.
func RedactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(hidden: not a valid URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), Redacted)
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			for i := range q[k] {
				q[k][i] = Redacted
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}
