package keys

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fold is the case-insensitive form of a unique-index value: two values
// fold alike exactly when strings.EqualFold says they are equal (Unicode
// simple case folding, rune by rune). Production Ironic runs on MySQL,
// whose default collation makes unique columns case-insensitive; the
// store does the same by claiming Fold(value) in the index while the
// record keeps the value as given.
//
// Only case is folded: MySQL's general_ci also equates some accented
// letters with plain ones ("é" = "e"), which this does not. Each rune
// becomes one fixed member of its unicode.SimpleFold orbit (the
// lower-case one for letters that have one, so keys read "node-1");
// bytes of invalid UTF-8 are kept as they are.
func Fold(s string) string {
	if isFoldedASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteByte(s[i]) // invalid UTF-8: kept, never merged with U+FFFD
		} else {
			b.WriteRune(foldRune(r))
		}
		i += size
	}
	return b.String()
}

// isFoldedASCII reports ASCII without upper-case letters: its own fold.
func isFoldedASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// foldRune maps every rune of one SimpleFold orbit (the runes EqualFold
// treats as one) to the same member: the lower case of the orbit's
// smallest rune when that belongs to the orbit, else the smallest rune.
// (ToLower alone would not do: 'ſ' and 's' are one orbit but ToLower
// keeps 'ſ'; and ToLower('İ') is 'i', which is not in İ's orbit.)
func foldRune(r rune) rune {
	if r < utf8.RuneSelf { // the orbits of 'k' and 's' (Kelvin sign, 'ſ') fold to them too
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	if lower := unicode.ToLower(least); lower != least && inOrbit(lower, r) {
		return lower
	}
	return least
}

func inOrbit(x, r rune) bool {
	for f := unicode.SimpleFold(r); ; f = unicode.SimpleFold(f) {
		if f == x {
			return true
		}
		if f == r {
			return false
		}
	}
}
