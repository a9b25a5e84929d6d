package etcdstore

import (
	"context"
	"fmt"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Conductors (BEHAVIOUR.md §7.5, §8). The record keeps the reference's
// columns (online, updated_at from the store's clock) and is never removed
// by lease expiry: a dead conductor is still listed offline and
// register_conductor reuses its record (same id). A conductor that
// registers with a session also gets a liveness key,
// <prefix>alive/<hostname>, bound to the session's lease: while the lease
// lives the conductor is alive, whatever any machine's clock says, and
// when the process dies the key vanishes with the lease (see liveness.go).

// ConductorOption configures register_conductor and touch_conductor.
type ConductorOption func(*conductorOptions)

type conductorOptions struct{ lease clientv3.LeaseID }

// WithConductorLease binds the conductor's liveness key to a lease (a
// lease.Session's Lease()).
func WithConductorLease(id clientv3.LeaseID) ConductorOption {
	return func(o *conductorOptions) { o.lease = id }
}

func conductorOpts(opts []ConductorOption) conductorOptions {
	var o conductorOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// conductorState is a conductor record with its liveness key as read.
type conductorState struct {
	stored
	aliveCreateRev int64 // 0: no liveness key
}

// loadConductor reads a conductor, found by its hostname in any case, and
// its liveness key, named by the hostname as the record spells it: two
// round trips (the hostname index, then the record and key in one
// transaction).
func (s *Store) loadConductor(ctx context.Context, hostname string) (conductorState, bool, error) {
	st, found, err := s.getByUnique(ctx, conductorsTable, "hostname", hostname)
	if err != nil || !found {
		return conductorState{}, found, err
	}
	resp, err := s.cli.Get(ctx, s.keys.Alive(st.rec.Interface().(*pb.Conductor).Hostname))
	if err != nil {
		return conductorState{}, false, etcdError(err, false)
	}
	cs := conductorState{stored: st}
	if len(resp.Kvs) > 0 {
		cs.aliveCreateRev = resp.Kvs[0].CreateRevision
	}
	return cs, true, nil
}

// byID is the identity updates of the conductor retry by: its id, which
// keeps its hostname for good (registration never renames a record, and
// conductor records are never deleted).
func (cs conductorState) byID() ident { return ident{id: recordID(cs.rec)} }

// liveNow reports whether a conductor counts as running for
// register_conductor's duplicate check: online, and — when it registered
// with a session — its lease still alive.
func (cs conductorState) liveNow() bool {
	c := cs.rec.Interface().(*pb.Conductor)
	return c.Online && (c.Lease == 0 || cs.aliveCreateRev != 0)
}

// aliveOps binds (or, without a lease, removes) the liveness key, guarded
// by the key's state as read so two registrations cannot both win. The
// key is named by the hostname as the record spells it: a registration
// that changes the spelling (hostnames are case-insensitive) moves it
// from the old name to the new.
func (s *Store) aliveOps(oldHost, newHost string, id int64, lease clientv3.LeaseID, readCreateRev int64) txnPart {
	key := s.keys.Alive(oldHost)
	part := txnPart{cmps: []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(key), "=", readCreateRev)}}
	if newHost != oldHost {
		part.ops = append(part.ops, clientv3.OpDelete(key))
		key = s.keys.Alive(newHost)
	}
	if lease == 0 {
		part.ops = append(part.ops, clientv3.OpDelete(key))
	} else {
		part.ops = append(part.ops, clientv3.OpPut(key, strconv.FormatInt(id, 10), clientv3.WithLease(lease)))
	}
	return part
}

// RegisterConductor registers the conductor values["hostname"] with its
// "drivers" (and, as tests do, an explicit "id" or "created_at").
// ConductorAlreadyRegistered when that hostname is registered and running
// (online, and its session's lease alive) unless updateExisting; otherwise
// an existing record — offline, or whose session died — is taken over and
// keeps its id. online becomes true and updated_at now. With
// WithConductorLease the liveness key is bound to that lease.
//
// The duplicate check, the reuse-or-insert and the hostname's uniqueness
// are settled by one transaction whose compares cover the record, the
// hostname index and the liveness key. Round trips: three (two reads, the
// write), plus one per lost race.
func (s *Store) RegisterConductor(ctx context.Context, values Values, updateExisting bool, opts ...ConductorOption) (*pb.Conductor, error) {
	o := conductorOpts(opts)
	host, _ := values["hostname"].(string)
	if err := validateName("hostname", host); err != nil {
		return nil, err
	}
	if err := setValue((&pb.Conductor{}).ProtoReflect(), "hostname", host); err != nil {
		return nil, err // too long, invalid UTF-8: refused before any lookup
	}
	for attempt := 0; ; attempt++ {
		cur, found, err := s.loadConductor(ctx, host)
		if err != nil {
			return nil, err
		}
		if !found {
			c, err := s.insertConductor(ctx, values, o)
			if isErr(err, ErrConductorAlreadyRegistered) && attempt < 3 {
				continue // registered concurrently: judge that record
			}
			return c, err
		}
		if cur.liveNow() && !updateExisting {
			return nil, conductorsTable.alreadyExists(cur.rec)
		}
		if v, ok := values["id"]; ok && v != nil {
			if n, err := toInt64(v); err != nil || n != recordID(cur.rec) {
				return nil, invalidParam("conductor %s exists with id %d; its id cannot change", host, recordID(cur.rec))
			}
		}
		st, err := s.update(ctx, conductorsTable, cur.byID(), cur.stored, false, func() error { return errConductorNotFound(host) },
			func(now stored, next protoreflect.Message) (txnPart, error) {
				if err := applyConductorValues(next, values, o); err != nil {
					return txnPart{}, err
				}
				// The key of the spelling the record has now: if a
				// registration changed it since the read, the compare fails.
				oldHost := now.rec.Interface().(*pb.Conductor).Hostname
				return s.aliveOps(oldHost, next.Interface().(*pb.Conductor).Hostname, recordID(next), o.lease, cur.aliveCreateRev), nil
			})
		if isErr(err, errExtraCompare) {
			continue // the liveness key changed meanwhile: look again
		}
		if err != nil {
			return nil, err
		}
		return st.rec.Interface().(*pb.Conductor), nil
	}
}

// applyConductorValues sets what registration sets: the given columns,
// online, and the session's lease.
func applyConductorValues(rec protoreflect.Message, values Values, o conductorOptions) error {
	for name, v := range values {
		if name == "id" {
			continue
		}
		if err := setValue(rec, name, v); err != nil {
			return err
		}
	}
	c := rec.Interface().(*pb.Conductor)
	c.Online, c.Lease = true, int64(o.lease)
	return validateRecord(rec)
}

func (s *Store) insertConductor(ctx context.Context, values Values, o conductorOptions) (*pb.Conductor, error) {
	c := &pb.Conductor{}
	rec, autoID, err := s.newRecord(c, values, "updated_at")
	if err != nil {
		return nil, err
	}
	if err := applyConductorValues(rec, Values{}, o); err != nil {
		return nil, err
	}
	c.UpdatedAt = timestampOf(s.now()) // always now, even on insert
	_, err = s.create(ctx, conductorsTable, rec, autoID, func(id int64) txnPart {
		return s.aliveOps(c.Hostname, c.Hostname, id, o.lease, 0)
	})
	if isErr(err, errExtraCompare) {
		return nil, conductorsTable.alreadyExists(rec)
	}
	return c, err
}

func errConductorNotFound(host string) error {
	return newError(ErrConductorNotFound, fmt.Sprintf("conductor %s could not be found", host), "conductor", host)
}

// GetConductor returns the online conductor hostname (in any case; the
// record keeps the spelling it registered with), or ConductorNotFound.
// Two round trips.
func (s *Store) GetConductor(ctx context.Context, hostname string) (*pb.Conductor, error) {
	st, found, err := s.getByUnique(ctx, conductorsTable, "hostname", hostname)
	if err != nil {
		return nil, err
	}
	if !found || !st.rec.Interface().(*pb.Conductor).Online {
		return nil, errConductorNotFound(hostname)
	}
	return st.rec.Interface().(*pb.Conductor), nil
}

// UnregisterConductor marks the online conductor hostname offline,
// bumps its updated_at and removes its liveness key, in one transaction.
// ConductorNotFound when it is unknown or already offline. Three round
// trips.
func (s *Store) UnregisterConductor(ctx context.Context, hostname string) error {
	cur, found, err := s.loadConductor(ctx, hostname)
	if err != nil {
		return err
	}
	if !found || !cur.rec.Interface().(*pb.Conductor).Online {
		return errConductorNotFound(hostname)
	}
	_, err = s.update(ctx, conductorsTable, cur.byID(), cur.stored, false, func() error { return errConductorNotFound(hostname) },
		func(now stored, next protoreflect.Message) (txnPart, error) {
			if !now.rec.Interface().(*pb.Conductor).Online {
				return txnPart{}, errConductorNotFound(hostname)
			}
			c := next.Interface().(*pb.Conductor)
			c.Online, c.Lease = false, 0
			return txnPart{ops: []clientv3.Op{clientv3.OpDelete(s.keys.Alive(c.Hostname))}}, nil
		})
	return err
}

// TouchConductor is the heartbeat: updated_at = now and online = true
// (which revives an offline record). ConductorNotFound for an unknown
// hostname; it never creates one. With WithConductorLease it also
// (re)binds the liveness key to that lease, as after a new session.
// Three round trips.
func (s *Store) TouchConductor(ctx context.Context, hostname string, opts ...ConductorOption) error {
	o := conductorOpts(opts)
	for {
		cur, found, err := s.loadConductor(ctx, hostname)
		if err != nil {
			return err
		}
		if !found {
			return errConductorNotFound(hostname)
		}
		_, err = s.update(ctx, conductorsTable, cur.byID(), cur.stored, false, func() error { return errConductorNotFound(hostname) },
			func(_ stored, next protoreflect.Message) (txnPart, error) {
				c := next.Interface().(*pb.Conductor)
				c.Online = true
				stamp(next, "updated_at", timestampOf(s.now()))
				if o.lease == 0 {
					return txnPart{}, nil
				}
				c.Lease = int64(o.lease)
				return s.aliveOps(c.Hostname, c.Hostname, c.Id, o.lease, cur.aliveCreateRev), nil
			})
		if isErr(err, errExtraCompare) {
			// The liveness key changed since the read (a registration
			// wrote it): look again, as long as the caller waits.
			if err := ctx.Err(); err != nil {
				return err
			}
			continue
		}
		return err
	}
}
