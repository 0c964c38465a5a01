package vault

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/engineroom/engineroom/playground/sandbox"
)

func newSandbox(t *testing.T) *sandbox.Manager {
	t.Helper()
	m, err := sandbox.New(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestPassports(t *testing.T) {
	m := newSandbox(t)
	p := NewPassports(newSealer(t, testSecret, "k1"))
	ctx := context.Background()
	const number = "C01X00T47"
	plainHex := strings.ToUpper(hex.EncodeToString([]byte(number)))
	tests := []struct {
		next      string
		member    int64
		wantRows  []int64
		wantOpen  []bool
		wantError error
	}{
		{next: ReadBack, member: 1, wantRows: []int64{1}, wantOpen: []bool{true}},
		{next: CopyToNext, member: 5, wantRows: []int64{5, 6}, wantOpen: []bool{true, false}, wantError: ErrAuth},
		{next: FlipByte, member: 9, wantRows: []int64{9}, wantOpen: []bool{false}, wantError: ErrAuth},
	}
	for _, tt := range tests {
		t.Run(tt.next, func(t *testing.T) {
			err := m.With(ctx, "v", func(ctx context.Context, db *sandbox.DB) error {
				got, err := p.Store(ctx, db, tt.member, number, tt.next)
				if err != nil {
					return err
				}
				if got.Typed != number || got.Next != tt.next || len(got.Rows) != len(tt.wantRows) {
					t.Fatalf("Store = %+v", got)
				}
				for i, r := range got.Rows {
					if r.MemberID != tt.wantRows[i] || r.Opened != tt.wantOpen[i] || r.KeyID != "k1" || r.Member == "" {
						t.Errorf("row %d = %+v; want member %d, opened %v, key k1", i, r, tt.wantRows[i], tt.wantOpen[i])
					}
					if r.AAD != string(PassportAAD(r.MemberID)) {
						t.Errorf("row %d AAD = %q", i, r.AAD)
					}
					if len(r.Hex) != 2*(len(number)+Overhead) || strings.Contains(r.Hex, plainHex) {
						t.Errorf("row %d stored %q: want %d bytes, not the plaintext", i, r.Hex, len(number)+Overhead)
					}
					if r.Opened && (r.Value != number || r.Error != "" || r.Err != nil) {
						t.Errorf("row %d opened to %q, %q", i, r.Value, r.Error)
					}
					if !r.Opened && (!errors.Is(r.Err, tt.wantError) || r.Value != "" || r.Error == "") {
						t.Errorf("row %d: error %v (%q), value %q; want %v", i, r.Err, r.Error, r.Value, tt.wantError)
					}
				}
				switch tt.next {
				case CopyToNext:
					// The same bytes: only the associated data differs.
					if got.Rows[0].Hex != got.Rows[1].Hex {
						t.Errorf("the copy holds %s, the original %s", got.Rows[1].Hex, got.Rows[0].Hex)
					}
				case FlipByte:
					r := got.Rows[0]
					before, _ := hex.DecodeString(r.HexBefore)
					after, _ := hex.DecodeString(r.Hex)
					if r.Flipped == nil || *r.Flipped != NonceSize || len(before) != len(after) {
						t.Fatalf("flipped %v, %d bytes before and %d after", r.Flipped, len(before), len(after))
					}
					for i := range before {
						if want := before[i] ^ map[bool]byte{true: 1}[i == NonceSize]; after[i] != want {
							t.Errorf("byte %d = %02x, want %02x", i, after[i], want)
						}
					}
				}
				res, err := db.Query(ctx, "SELECT count(*) FROM travel_documents WHERE instr(passport_number, CAST(? AS BLOB)) > 0 OR passport_number = ?", number, number)
				if err != nil {
					return err
				}
				if n := sandbox.AsInt(res.Values[0][0]); n != 0 {
					t.Errorf("%d rows hold the plaintext", n)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPassportsRefuse(t *testing.T) {
	m := newSandbox(t)
	p := NewPassports(newSealer(t, testSecret, "k1"))
	other := NewPassports(newSealer(t, testSecret, "k2"))
	ctx := context.Background()
	err := m.With(ctx, "v", func(ctx context.Context, db *sandbox.DB) error {
		if _, err := p.Store(ctx, db, 999999, "C01X00T47", ReadBack); !errors.Is(err, ErrNoMember) {
			t.Errorf("unknown member: %v, want ErrNoMember", err)
		}
		// A value sealed under k2 and read by a server that holds only k1.
		if _, err := other.Store(ctx, db, 2, "C01X00T47", ReadBack); err != nil {
			return err
		}
		r, err := p.read(ctx, db, Row{MemberID: 2})
		if err != nil || r.Opened || !errors.Is(r.Err, ErrUnknownKey) {
			t.Errorf("key k2 read with k1: %+v, %v; want ErrUnknownKey", r, err)
		}
		// Text written into the BLOB column by hand does not open either.
		if _, err := db.Exec(ctx, "UPDATE travel_documents SET passport_number = 'C01X00T47', key_id = 'k1' WHERE member_id = 2"); err != nil {
			return err
		}
		r, err = p.read(ctx, db, Row{MemberID: 2})
		if err != nil || r.Opened || !errors.Is(r.Err, ErrTooShort) {
			t.Errorf("plaintext in the column: %+v, %v; want ErrTooShort", r, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
