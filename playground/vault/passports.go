package vault

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// PassportPurpose is the HKDF info of the key that seals passport numbers.
const PassportPurpose = "engineroom travel_documents.passport_number"

// What the passport demo does after storing a number.
const (
	// ReadBack reads the row back and opens it.
	ReadBack = "read it back"
	// CopyToNext copies the stored bytes into the next member's row, as
	// someone with write access to the database could, and opens that.
	CopyToNext = "copy it to another member's row"
	// FlipByte changes one bit of the stored value and opens it.
	FlipByte = "flip one byte"
)

// Nexts are the choices of what happens after storing, the default first.
var Nexts = []string{ReadBack, CopyToNext, FlipByte}

var (
	// ErrPassportFormat refuses a passport number that cannot be one.
	ErrPassportFormat = errors.New("vault: a passport number is 6 to 12 letters and digits, such as C01X00T47")
	// ErrNoMember means the member is not in the visitor's database.
	ErrNoMember = errors.New("vault: no such member")
)

var passportRE = regexp.MustCompile(`^[A-Z0-9]{6,12}$`)

// ParsePassport checks raw is a plausible passport number and returns it
// in capitals, without surrounding spaces.
func ParsePassport(raw string) (string, error) {
	n := strings.ToUpper(strings.TrimSpace(raw))
	if !passportRE.MatchString(n) {
		return "", ErrPassportFormat
	}
	return n, nil
}

// PassportAAD is the associated data a member's passport number is sealed
// with: the column and the row. It is not stored; the row supplies it.
func PassportAAD(memberID int64) []byte {
	return []byte("travel_documents.passport_number member_id=" + strconv.FormatInt(memberID, 10))
}

// Row is one row of travel_documents as read back, and what opening it gave.
type Row struct {
	MemberID int64  `json:"member_id"`
	Member   string `json:"member"`
	// Hex is the stored BLOB as SQLite's hex() shows it.
	Hex   string `json:"stored_hex"`
	KeyID string `json:"key_id"`
	AAD   string `json:"associated_data"`
	// HexBefore and Flipped are set when a byte of the value was changed:
	// the value before, and the index of the byte.
	HexBefore string `json:"stored_hex_before,omitempty"`
	Flipped   *int   `json:"flipped_byte,omitempty"`
	Opened    bool   `json:"opened"`
	Value     string `json:"decrypted,omitempty"`
	Error     string `json:"error,omitempty"`
	// Err is Open's error, for callers that check it.
	Err error `json:"-"`
}

// Stored is a run of the passport demo.
type Stored struct {
	Typed string `json:"typed"`
	Next  string `json:"next"`
	Rows  []Row  `json:"rows"`
}

// querier is the part of a sandbox connection the demo needs.
type querier interface {
	Query(ctx context.Context, query string, args ...any) (*sandbox.QueryResult, error)
	Exec(ctx context.Context, query string, args ...any) (int64, error)
}

var _ querier = (*sandbox.DB)(nil)

// Passports stores members' passport numbers sealed in travel_documents.
type Passports struct {
	sealer *Sealer
	tracer trace.Tracer
}

// NewPassports keeps passport numbers sealed by s.
func NewPassports(s *Sealer) *Passports { return &Passports{sealer: s, tracer: s.tracer} }

const upsert = "INSERT INTO travel_documents (member_id, passport_number, key_id) VALUES (?, ?, ?)\n" +
	"ON CONFLICT(member_id) DO UPDATE SET passport_number = excluded.passport_number, key_id = excluded.key_id"

// copyRow copies a row's stored bytes to another member, as is: the WHERE
// keeps SQLite from reading ON CONFLICT as part of the SELECT.
const copyRow = "INSERT INTO travel_documents (member_id, passport_number, key_id)\n" +
	"SELECT ?, passport_number, key_id FROM travel_documents WHERE member_id = ?\n" +
	"ON CONFLICT(member_id) DO UPDATE SET passport_number = excluded.passport_number, key_id = excluded.key_id"

// Store seals number for member and stores it, then does next (one of
// Nexts) and reads back and opens each row it touched. number must have
// passed ParsePassport. The plaintext never reaches the database.
func (p *Passports) Store(ctx context.Context, db querier, member int64, number, next string) (Stored, error) {
	ctx, span := p.tracer.Start(ctx, "store a passport number", trace.WithAttributes(
		attribute.Int64("engineroom.member.id", member), attribute.String("engineroom.vault.next", next)))
	defer span.End()
	out := Stored{Typed: number, Next: next}
	name, err := memberName(ctx, db, member)
	if err != nil {
		return out, fail(span, err)
	}
	sealed := p.sealer.Seal(ctx, []byte(number), PassportAAD(member))
	if _, err := db.Exec(ctx, upsert, member, sealed, p.sealer.KeyID()); err != nil {
		return out, fail(span, err)
	}
	rows := []Row{{MemberID: member, Member: name}}
	switch next {
	case CopyToNext:
		other, err := memberName(ctx, db, member+1)
		if err != nil {
			return out, fail(span, err)
		}
		if _, err := db.Exec(ctx, copyRow, member+1, member); err != nil {
			return out, fail(span, err)
		}
		rows = append(rows, Row{MemberID: member + 1, Member: other})
	case FlipByte:
		if rows[0], err = p.flip(ctx, db, rows[0]); err != nil {
			return out, fail(span, err)
		}
	}
	for _, r := range rows {
		r, err := p.read(ctx, db, r)
		if err != nil {
			return out, fail(span, err)
		}
		out.Rows = append(out.Rows, r)
	}
	return out, nil
}

// flip changes the lowest bit of the first ciphertext byte of a member's
// stored value, in the database.
func (p *Passports) flip(ctx context.Context, db querier, r Row) (Row, error) {
	res, err := db.Query(ctx, "SELECT passport_number FROM travel_documents WHERE member_id = ?", r.MemberID)
	if err != nil {
		return r, err
	}
	if len(res.Values) == 0 {
		return r, fmt.Errorf("%w: member %d has no passport number stored", ErrNoMember, r.MemberID)
	}
	b := asBytes(res.Values[0][0])
	i := min(NonceSize, len(b)-1)
	if i < 0 {
		return r, fmt.Errorf("%w: member %d's stored value is empty", ErrTooShort, r.MemberID)
	}
	r.HexBefore = strings.ToUpper(hex.EncodeToString(b))
	b[i] ^= 0x01
	r.Flipped = &i
	_, err = db.Exec(ctx, "UPDATE travel_documents SET passport_number = ? WHERE member_id = ?", b, r.MemberID)
	return r, err
}

// read reads a member's row back and opens it with the associated data of
// that row. A value that does not open is reported in the Row, not as an
// error.
func (p *Passports) read(ctx context.Context, db querier, r Row) (Row, error) {
	res, err := db.Query(ctx, "SELECT passport_number, hex(passport_number), key_id FROM travel_documents WHERE member_id = ?", r.MemberID)
	if err != nil {
		return r, err
	}
	if len(res.Values) == 0 {
		return r, fmt.Errorf("%w: member %d has no passport number stored", ErrNoMember, r.MemberID)
	}
	v := res.Values[0]
	sealed := asBytes(v[0])
	r.Hex, r.KeyID = sandbox.AsString(v[1]), sandbox.AsString(v[2])
	aad := PassportAAD(r.MemberID)
	r.AAD = string(aad)
	var plain []byte
	if r.KeyID != p.sealer.KeyID() {
		r.Err = fmt.Errorf("%w %q: this server holds %q", ErrUnknownKey, r.KeyID, p.sealer.KeyID())
	} else {
		plain, r.Err = p.sealer.Open(ctx, sealed, aad)
	}
	if r.Err != nil {
		r.Error = r.Err.Error()
		return r, nil
	}
	r.Opened, r.Value = true, string(plain)
	return r, nil
}

// asBytes is a copy of a stored value's bytes: a BLOB, or text someone
// wrote into the column instead (SQLite lets them).
func asBytes(v any) []byte {
	switch v := v.(type) {
	case []byte:
		return append([]byte(nil), v...)
	case string:
		return []byte(v)
	default:
		return nil
	}
}

// memberName is a member's name, or ErrNoMember.
func memberName(ctx context.Context, db querier, id int64) (string, error) {
	res, err := db.Query(ctx, "SELECT name FROM members WHERE id = ?", id)
	if err != nil {
		return "", err
	}
	if len(res.Values) == 0 {
		return "", fmt.Errorf("%w: member %d is not in your database", ErrNoMember, id)
	}
	return sandbox.AsString(res.Values[0][0]), nil
}
