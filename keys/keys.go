// Package keys is the one place that builds the etcd keys of ironic-etcd.
//
// Layout under a prefix (default "/ironic/"), so that
// `etcdctl get --prefix --keys-only /ironic/` reads like an inventory:
//
//	<prefix>nodes/<id>                         node record (pb.Node)
//	<prefix>reservations/<id>                  node lock: holder tag, lease-bound when held by a session
//	<prefix>holders/<id>                       last holder of a lease-bound lock: its tag, bound to no lease
//	<prefix>ports/<id>                         port record; likewise portgroups/, chassis/,
//	                                           volume_connectors/, volume_targets/,
//	                                           conductors/, conductor_hardware_interfaces/
//	<prefix>index/<table>/<field>/<value>      unique index: Fold(value) -> record id
//	<prefix>index/<table>/<field>/<owner>/<id> membership: records of one owner (node, portgroup, chassis)
//	<prefix>waiters/<node id>/<uuid>           fair lock waits: the queue for a node's lock
//	<prefix>ids/<table>                        high-water mark of allocated id blocks
//	<prefix>alive/<hostname>                   conductor liveness, bound to its lease
//	<prefix>sessions/<lease id in hex>         a session's own key, watched to notice its loss at once
//
// Record ids are written as 19-digit zero-padded decimals, so a range read
// returns records in id order (the default sort of every list). Values in
// index keys are case-folded (Fold) and escaped with Escape: no user value
// can contain '/' or reach another record's range.
package keys

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultPrefix is where the store keeps its keys unless told otherwise.
const DefaultPrefix = "/ironic/"

// idWidth is the number of decimal digits of the largest int64.
const idWidth = 19

// Space builds keys under one prefix. The zero value is not usable; call New.
type Space struct {
	prefix string
}

// New returns the key space under prefix; "" means DefaultPrefix, and a
// missing trailing '/' is added. A prefix may not contain control bytes.
func New(prefix string) (Space, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	for i := 0; i < len(prefix); i++ {
		if prefix[i] < 0x20 || prefix[i] == 0x7f {
			return Space{}, fmt.Errorf("keys: prefix %q contains a control byte", prefix)
		}
	}
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return Space{prefix: prefix}, nil
}

// MustNew is New for constant prefixes.
func MustNew(prefix string) Space {
	s, err := New(prefix)
	if err != nil {
		panic(err)
	}
	return s
}

// Prefix is the root of the whole key space.
func (s Space) Prefix() string { return s.prefix }

// Table is the prefix of every record of one table: range-read it to list
// the table in id order.
func (s Space) Table(table string) string { return s.prefix + table + "/" }

// Record is the key of one record.
func (s Space) Record(table string, id int64) string { return s.Table(table) + FormatID(id) }

// Reservation is the key of a node's lock.
func (s Space) Reservation(nodeID int64) string { return s.Reservations() + FormatID(nodeID) }

// Waiters is the queue of callers waiting for a node's lock, ordered by
// their keys' create revisions.
func (s Space) Waiters(nodeID int64) string { return s.prefix + "waiters/" + FormatID(nodeID) + "/" }

// Reservations is the prefix of all node locks.
func (s Space) Reservations() string { return s.prefix + "reservations/" }

// Holder is the key of a node's last-holder marker: the tag of the holder
// of a lock bound to a lease, written with the lock but bound to no lease,
// so that it outlives a lease that expires without a release.
func (s Space) Holder(nodeID int64) string { return s.Holders() + FormatID(nodeID) }

// Holders is the prefix of all last-holder markers.
func (s Space) Holders() string { return s.prefix + "holders/" }

// UniquePrefix is the prefix of every entry of one unique index.
func (s Space) UniquePrefix(table, field string) string {
	return s.prefix + "index/" + table + "/" + field + "/"
}

// RevisionProbe is a key that is never written: a count-only read of it
// is the cheapest quorum read that returns the cluster's revision.
func (s Space) RevisionProbe() string { return s.prefix + "revision-probe" }

// Unique is the key that claims value for one record in a unique index.
// Several values form a composite key, one escaped segment each. Each
// segment is the value case-folded (Fold), so "Node-1" and "node-1" claim
// one key, as under MySQL's case-insensitive collation; the record keeps
// the value as given.
func (s Space) Unique(table, field string, values ...string) string {
	var b strings.Builder
	b.WriteString(s.prefix + "index/" + table + "/" + field)
	for _, v := range values {
		b.WriteByte('/')
		b.WriteString(Escape(Fold(v)))
	}
	return b.String()
}

// Members is the prefix of all records of table whose field points at owner.
func (s Space) Members(table, field string, owner int64) string {
	return s.prefix + "index/" + table + "/" + field + "/" + FormatID(owner) + "/"
}

// Member is the membership key of record id under owner.
func (s Space) Member(table, field string, owner, id int64) string {
	return s.Members(table, field, owner) + FormatID(id)
}

// IDCounter is the key holding the high-water mark of a table's id blocks.
func (s Space) IDCounter(table string) string { return s.prefix + "ids/" + table }

// Alive is the liveness key of a conductor, bound to its lease.
func (s Space) Alive(hostname string) string { return s.AlivePrefix() + Escape(hostname) }

// Sessions is the prefix under which lease sessions keep the key they bind
// to their lease and watch, to learn of the lease's end at once.
func (s Space) Sessions() string { return s.prefix + "sessions/" }

// AlivePrefix is the prefix of all conductor liveness keys.
func (s Space) AlivePrefix() string { return s.prefix + "alive/" }

// FormatID writes an id so that byte order is numeric order (ids are >= 0).
func FormatID(id int64) string {
	v := strconv.FormatInt(id, 10)
	if len(v) >= idWidth {
		return v
	}
	return strings.Repeat("0", idWidth-len(v)) + v
}

// ParseID reads the id at the end of a record or member key.
func ParseID(key string) (int64, error) {
	i := strings.LastIndexByte(key, '/')
	seg := key[i+1:]
	// Exactly FormatID's form: 19 digits, no sign (ParseInt alone takes '+').
	if len(seg) != idWidth || strings.IndexFunc(seg, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, fmt.Errorf("keys: %q does not end in an id", key)
	}
	id, err := strconv.ParseInt(seg, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("keys: %q does not end in an id", key)
	}
	return id, nil
}

// ParseAlive returns the hostname of a liveness key.
func (s Space) ParseAlive(key string) (string, error) {
	rest, ok := strings.CutPrefix(key, s.AlivePrefix())
	if !ok {
		return "", fmt.Errorf("keys: %q is not a liveness key", key)
	}
	return Unescape(rest)
}

// PrefixEnd is the end of the range of keys starting with prefix, as
// etcd's clientv3.GetPrefixRangeEnd computes it.
func PrefixEnd(prefix string) string {
	end := []byte(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return string(end[:i+1])
		}
	}
	return "\x00"
}
