package keys

import (
	"errors"
	"strings"
)

// Escape turns any string — empty, with '/', "..", NUL, control bytes,
// non-ASCII or invalid UTF-8 — into one key segment that contains only
// printable ASCII other than '/' and '%'-escapes, so a user-supplied value
// can never reach outside the key range of its record.
//
// The scheme is percent-encoding: bytes in [A-Za-z0-9] and "-_.:~@+,=" stay
// as they are (MACs, uuids and most names read unchanged in etcdctl); every
// other byte becomes %XX. Two cases get special forms: the empty string is
// "%" (no other input yields a lone '%'), and a segment made only of dots
// ("." or "..") has its dots escaped, so no tool that treats keys as paths
// can read it as a relative step.
func Escape(s string) string {
	if s == "" {
		return "%"
	}
	allDots := strings.Trim(s, ".") == ""
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isPlain(c) && !(allDots && c == '.') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// ErrBadSegment reports a key segment that Escape could not have produced.
var ErrBadSegment = errors.New("keys: malformed escaped segment")

// Unescape inverts Escape. It refuses any segment Escape would not produce,
// so there is exactly one encoding of every value.
func Unescape(seg string) (string, error) {
	if seg == "%" {
		return "", nil
	}
	if seg == "" {
		return "", ErrBadSegment
	}
	var b strings.Builder
	b.Grow(len(seg))
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if c != '%' {
			if !isPlain(c) {
				return "", ErrBadSegment
			}
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(seg) {
			return "", ErrBadSegment
		}
		hi, lo := unhex(seg[i+1]), unhex(seg[i+2])
		if hi < 0 || lo < 0 {
			return "", ErrBadSegment
		}
		b.WriteByte(byte(hi<<4 | lo))
		i += 2
	}
	out := b.String()
	if Escape(out) != seg {
		return "", ErrBadSegment
	}
	return out, nil
}

const hexDigits = "0123456789ABCDEF"

func isPlain(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-_.:~@+,=", c) >= 0
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
