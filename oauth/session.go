package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/store"
)

// Sessions of the authorisation page: after signing in there, a person
// carries a signed value (a cookie) naming their account until it expires.
// Nothing is stored server-side; the value is bound to the password hash,
// so resetting a password ends every session, and disabling the account
// ends them at once.

var errNoSession = tocsin.Errorf(tocsin.EUNAUTHORIZED, "not signed in")

// NewSession returns a session value for a, valid for the session TTL.
func (s *Service) NewSession(a *store.Account) string {
	payload := strings.Join([]string{
		a.ID, strconv.FormatInt(s.now().Add(s.sessionTTL).Unix(), 10), passwordTag(a),
	}, "|")
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." +
		base64.RawURLEncoding.EncodeToString(s.sessionMAC(payload))
}

// Session returns the account a session value names, or an EUNAUTHORIZED
// error when the value is forged, expired, or no longer matches the
// account (disabled, password changed).
func (s *Service) Session(ctx context.Context, value string) (*store.Account, error) {
	enc, sig, ok := strings.Cut(value, ".")
	if !ok {
		return nil, errNoSession
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(enc)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.sessionMAC(string(payload))) {
		return nil, errNoSession
	}
	parts := strings.Split(string(payload), "|")
	if len(parts) != 3 {
		return nil, errNoSession
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || s.now().Unix() >= exp {
		return nil, errNoSession
	}
	a, err := s.db.AccountByID(ctx, parts[0])
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	if a.Disabled || !hmac.Equal([]byte(passwordTag(a)), []byte(parts[2])) {
		return nil, errNoSession
	}
	return a, nil
}

func (s *Service) sessionMAC(payload string) []byte {
	m := hmac.New(sha256.New, s.sessionKey)
	m.Write([]byte("tocsin oauth session\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// passwordTag is a short digest of the password hash: it changes when the
// password does.
func passwordTag(a *store.Account) string {
	h := sha256.Sum256([]byte(a.PasswordHash))
	return hex.EncodeToString(h[:8])
}

// SessionTTL is how long a session value lasts.
func (s *Service) SessionTTL() time.Duration { return s.sessionTTL }
