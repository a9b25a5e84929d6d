// Package jsontext checks JSON text for what encoding/json would accept
// but not return as given: a \u escape of a lone UTF-16 surrogate (decoded
// as U+FFFD, silently) and nesting deeper than a reader can take.
package jsontext

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrLoneSurrogate is a \u escape of half a UTF-16 surrogate pair: no
// Unicode character, so not storable as UTF-8.
var ErrLoneSurrogate = errors.New("not valid UTF-8 (a \\u escape of a lone UTF-16 surrogate)")

// Check refuses a lone surrogate escape anywhere in doc, and nesting of
// arrays and objects deeper than maxDepth (0: any depth). doc is
// syntactically valid JSON; Check reads it once, without allocating.
func Check(doc []byte, maxDepth int) error {
	depth, inString := 0, false
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if inString {
			switch c {
			case '"':
				inString = false
			case '\\':
				if i+1 < len(doc) && doc[i+1] == 'u' {
					n, ok := surrogateEscape(doc[i:])
					if !ok {
						return ErrLoneSurrogate
					}
					i += n - 1
					continue
				}
				i++ // the escaped character
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			if depth++; maxDepth > 0 && depth > maxDepth {
				return fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

// surrogateEscape reads the \uXXXX escape at the start of s (and the low
// half after a high surrogate): the bytes it spans, and false for a lone
// surrogate.
func surrogateEscape(s []byte) (n int, ok bool) {
	r, ok := hex4(s)
	switch {
	case !ok:
		return 0, false
	case !utf16.IsSurrogate(r):
		return 6, true
	case r >= 0xDC00: // a low half first
		return 0, false
	}
	low, ok := hex4(s[6:])
	if !ok || utf16.DecodeRune(r, low) == utf8.RuneError {
		return 0, false
	}
	return 12, true
}

// hex4 decodes `\uXXXX` at the start of s.
func hex4(s []byte) (rune, bool) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
