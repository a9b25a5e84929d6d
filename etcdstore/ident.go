package etcdstore

import (
	"strconv"
	"strings"
)

// Identifiers, as BEHAVIOUR.md §1 defines them. Methods that take an
// identity ("7", a uuid, or for ports and portgroups a MAC) take a string;
// exact lookups by id take an int64.

// ident is a resolved identity: exactly one of id, uuid or mac is set.
type ident struct {
	id   int64
	uuid string
	mac  string
	raw  string // the argument as given, for messages
}

func (i ident) byID() bool { return i.uuid == "" && i.mac == "" }

// names reports whether st, a record as read, is the one the identity
// names: it has the id, the uuid (which never changes on a record) or the
// MAC (which may move to another record). A write that retries after a
// lost race re-resolves the identity when the record it read no longer
// qualifies, instead of writing to whatever now has the id it read.
func (i ident) names(st stored) bool {
	switch {
	case i.uuid != "":
		return recordUUID(st.rec) == i.uuid
	case i.mac != "":
		return str(st.rec, "address") == strings.ToLower(i.mac)
	}
	return recordID(st.rec) == i.id
}

// parseIntLike reports whether s is the canonical base-10 form of an int64:
// no sign but '-', no leading zero, no spaces, no decimal part.
func parseIntLike(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != s {
		return 0, false
	}
	return n, true
}

// IsUUIDLike reports whether s is 32 hex digits once "urn:", "uuid:",
// surrounding braces and every '-' are dropped (oslo.utils' is_uuid_like).
func IsUUIDLike(s string) bool {
	_, ok := uuidDigits(s)
	return ok
}

// uuidDigits is s reduced as IsUUIDLike reduces it: 32 lower-case hex
// digits, ok false when s is not uuid-like.
func uuidDigits(s string) (string, bool) {
	t := strings.ToLower(s)
	t = strings.TrimPrefix(t, "urn:")
	t = strings.TrimPrefix(t, "uuid:")
	t = strings.TrimPrefix(t, "{")
	t = strings.TrimSuffix(t, "}")
	t = strings.ReplaceAll(t, "-", "")
	if len(t) != 32 {
		return "", false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", false
		}
	}
	return t, true
}

// CanonicalUUID is the one spelling the store keeps of a uuid: lower
// case, 8-4-4-4-12, as Python's str(uuid.UUID(s)). Every form IsUUIDLike
// accepts ("{...}", "urn:uuid:...", upper case, dashes missing or
// misplaced) names the same uuid; a string that is not uuid-like is
// returned unchanged.
func CanonicalUUID(s string) string {
	d, ok := uuidDigits(s)
	if !ok {
		return s
	}
	return d[:8] + "-" + d[8:12] + "-" + d[12:16] + "-" + d[16:20] + "-" + d[20:]
}

// uuidColumn reports the columns holding uuids: stored canonically, and
// looked up by the canonical form of the argument.
func uuidColumn(name string) bool { return name == "uuid" || name == "instance_uuid" }

// IsMACLike reports whether s is six colon-separated two-hex-digit groups.
func IsMACLike(s string) bool {
	if len(s) != 17 {
		return false
	}
	for i := 0; i < 17; i++ {
		c := s[i]
		if i%3 == 2 {
			if c != ':' {
				return false
			}
			continue
		}
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// resolveIdentity applies the identity rule: int-like selects id, else
// uuid-like selects uuid, else InvalidIdentity before any lookup.
func resolveIdentity(s string) (ident, error) {
	if n, ok := parseIntLike(s); ok {
		return ident{id: n, raw: s}, nil
	}
	if IsUUIDLike(s) {
		return ident{uuid: CanonicalUUID(s), raw: s}, nil
	}
	return ident{}, errInvalidIdentity(s)
}

// resolveMACOrIdentity applies the mac-or-identity rule of ports and
// portgroups: a MAC-like string selects by address, else identity.
func resolveMACOrIdentity(s string) (ident, error) {
	if IsMACLike(s) {
		return ident{mac: s, raw: s}, nil
	}
	return resolveIdentity(s)
}
