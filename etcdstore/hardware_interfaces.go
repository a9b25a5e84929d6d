package etcdstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/keys"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// Conductor hardware interfaces (BEHAVIOUR.md §7.5, 44-46): unique on
// (conductor_id, hardware_type, interface_type, interface_name), indexed
// by conductor.

// ListConductorHardwareInterfaces returns the rows of conductorID in id
// (insertion) order, or none. Two round trips.
func (s *Store) ListConductorHardwareInterfaces(ctx context.Context, conductorID int64) ([]*pb.ConductorHardwareInterface, error) {
	sts, err := s.listMembers(ctx, hardwareInterfacesTable, "conductor_id", conductorID, ListOptions{})
	return records[*pb.ConductorHardwareInterface](sts), err
}

// RegisterConductorHardwareInterfaces stores one row per name in
// interfaces, default = (name == defaultInterface). All or nothing: a name
// registered already, or twice in the list, fails the whole call with
// ConductorHardwareInterfacesAlreadyRegistered and stores nothing. The
// conductor's existence is not checked, as in the reference. One
// transaction holds the whole batch, so a call registers at most
// WithMaxTxnOps/3 interfaces (42 by default). One round trip (plus one per
// id block).
func (s *Store) RegisterConductorHardwareInterfaces(ctx context.Context, conductorID int64, hardwareType, interfaceType string, interfaces []string, defaultInterface string) error {
	clash := func(names []string) error {
		list := strings.Join(names, ", ")
		return newError(ErrConductorHardwareInterfacesAlreadyRegistered,
			fmt.Sprintf("one or more of the interfaces %s of hardware type %s and interface type %s are already registered", list, hardwareType, interfaceType),
			"hardware_type", hardwareType, "interface_type", interfaceType, "interfaces", list)
	}
	if len(interfaces) == 0 {
		return nil
	}
	if len(interfaces)*3 > s.opts.maxTxnOps {
		return invalidParam("at most %d interfaces can be registered at once", s.opts.maxTxnOps/3)
	}
	var seen []string
	for _, name := range interfaces {
		folded := keys.Fold(name) // names differing only in case are one, as in the index
		if slices.Contains(seen, folded) {
			return clash(interfaces)
		}
		seen = append(seen, folded)
	}
	recs := make([]protoreflect.Message, len(interfaces))
	for i, name := range interfaces {
		rec, _, err := s.newRecord(&pb.ConductorHardwareInterface{}, Values{
			"conductor_id": conductorID, "hardware_type": hardwareType,
			"interface_type": interfaceType, "interface_name": name, "default": name == defaultInterface,
		})
		if err != nil {
			return err
		}
		recs[i] = rec
	}
	_, taken, err := s.claimInterfaceRows(ctx, recs)
	if err != nil || len(taken) == 0 {
		return err
	}
	var registered []string
	for _, i := range taken {
		registered = append(registered, interfaces[i])
	}
	return clash(registered)
}

// claimInterfaceRows inserts recs (hardware interface rows without ids) in
// one transaction, each claiming its unique key. It returns the revision
// written, or the indexes of the rows whose key was taken (nothing
// written). An auto id that met an explicitly created row is replaced.
// One round trip (plus one per id block, and one per id collision).
func (s *Store) claimInterfaceRows(ctx context.Context, recs []protoreflect.Message) (rev int64, taken []int, err error) {
	for {
		var b txnBuilder
		keyReads := make([][]txnRead, len(recs)) // the Else reads of each row's unique keys
		for i, rec := range recs {
			id, err := s.ids.next(ctx, hardwareInterfacesTable.name)
			if err != nil {
				return 0, nil, err
			}
			setRecordID(rec, id)
			data, err := encode(hardwareInterfacesTable, rec)
			if err != nil {
				return 0, nil, err
			}
			b.claim(s.keys.Record(hardwareInterfacesTable.name, id), string(data))
			for _, k := range s.uniqueKeys(hardwareInterfacesTable, rec) {
				keyReads[i] = append(keyReads[i], b.claim(k.key, fmt.Sprint(id)))
			}
			for _, mk := range s.memberKeys(hardwareInterfacesTable, rec) {
				b.ops = append(b.ops, clientv3.OpPut(mk.key, ""))
			}
		}
		resp, err := b.commit(ctx, s.cli)
		if err != nil {
			return 0, nil, etcdError(err, true)
		}
		if resp.Succeeded {
			return resp.Header.Revision, nil, nil
		}
		for i := range recs {
			if slices.ContainsFunc(keyReads[i], func(r txnRead) bool { return r.found(resp) }) {
				taken = append(taken, i)
			}
		}
		if len(taken) > 0 {
			return 0, taken, nil
		}
		// An auto id met an explicitly created row: try with fresh ids.
	}
}

// UnregisterConductorHardwareInterfaces deletes every row of
// conductorID; it never fails for a conductor without rows. Two round
// trips, plus one per WithMaxTxnOps/3 rows beyond the first batch.
func (s *Store) UnregisterConductorHardwareInterfaces(ctx context.Context, conductorID int64) error {
	for {
		rows, err := s.members(ctx, hardwareInterfacesTable, s.keys.Members(hardwareInterfacesTable.name, "conductor_id", conductorID))
		if err != nil || len(rows) == 0 {
			return err
		}
		var ops []clientv3.Op
		for _, st := range rows {
			more := s.removeOps(hardwareInterfacesTable, st.rec)
			if len(ops)+len(more) > s.opts.maxTxnOps {
				break
			}
			ops = append(ops, more...)
		}
		if _, err := s.cli.Txn(ctx).Then(ops...).Commit(); err != nil {
			return etcdError(err, true)
		}
	}
}
