package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// RegisterConductorHardwareInterfaceDicts follows Ironic 21.4's
// register_conductor_hardware_interfaces(conductor_id, interfaces): one
// row per dict, each with hardware_type, interface_type and
// interface_name (strings, required) and default (bool, false when
// absent), of any hardware and interface types; other columns of the row
// (version, created_at, ...) may be given too. A row registered already,
// or twice in the list, fails the call with
// ConductorHardwareInterfacesAlreadyRegistered naming the first such row
// in list order (Param "row"), and nothing is stored. An unknown key, a
// missing or wrong-typed column, or conductor_id / id in a dict:
// InvalidParameterValue, nothing stored. The conductor's existence is not
// checked, as in the reference.
//
// Up to WithMaxTxnOps/3 rows (42 by default) are one transaction; more
// (a 21.4 conductor registers every interface of every hardware type in
// one call) are written in transactions of that many. If a later one
// clashes, the rows the earlier ones wrote are deleted again before the
// error is returned, so the call still stores all or nothing, but a
// reader may see part of the rows meanwhile. Round trips: one per
// WithMaxTxnOps/3 rows (plus one per id block), and on a clash after the
// first, one per batch removed.
func (s *Store) RegisterConductorHardwareInterfaceDicts(ctx context.Context, conductorID int64, interfaces []Values) error {
	recs := make([]protoreflect.Message, len(interfaces))
	seen := map[string]int{}
	dup := -1
	for i, dict := range interfaces {
		rec, err := s.interfaceRow(conductorID, dict)
		if err != nil {
			return fmt.Errorf("interfaces[%d]: %w", i, err)
		}
		recs[i] = rec
		key := s.uniqueKeys(hardwareInterfacesTable, rec)[0].key
		if _, ok := seen[key]; ok && dup < 0 {
			dup = i
		}
		seen[key] = i
	}
	if dup >= 0 {
		return errInterfaceRowTaken(recs[dup])
	}
	per := s.opts.maxTxnOps / 3
	var written []int64 // the revision each committed batch was written at
	for start := 0; start < len(recs); start += per {
		batch := recs[start:min(start+per, len(recs))]
		rev, taken, err := s.claimInterfaceRows(ctx, batch)
		if err == nil && len(taken) == 0 {
			written = append(written, rev)
			continue
		}
		if err == nil {
			err = errInterfaceRowTaken(batch[taken[0]])
		}
		if undo := s.removeInterfaceRows(ctx, recs[:start], per, written); undo != nil {
			return errors.Join(err, undo)
		}
		return err
	}
	return nil
}

// interfaceRow builds the row one dict of the 21.4 form describes.
func (s *Store) interfaceRow(conductorID int64, dict Values) (protoreflect.Message, error) {
	for _, k := range []string{"id", "conductor_id"} {
		if _, ok := dict[k]; ok {
			return nil, invalidParam("%s is not given per interface", k)
		}
	}
	for _, k := range []string{"hardware_type", "interface_type", "interface_name"} {
		if _, ok := dict[k].(string); !ok {
			return nil, invalidParam("%s must be a string, not %T", k, dict[k])
		}
	}
	values := Values{"conductor_id": conductorID}
	for k, v := range dict {
		values[k] = v
	}
	rec, _, err := s.newRecord(&pb.ConductorHardwareInterface{}, values)
	return rec, err
}

// errInterfaceRowTaken is 21.4's ConductorHardwareInterfacesAlreadyRegistered
// for one row (the reference names the row it failed to insert).
func errInterfaceRowTaken(rec protoreflect.Message) error {
	hw := rec.Interface().(*pb.ConductorHardwareInterface)
	row := fmt.Sprintf("conductor_id=%d, hardware_type=%s, interface_type=%s, interface_name=%s",
		hw.ConductorId, hw.HardwareType, hw.InterfaceType, hw.InterfaceName)
	return newError(ErrConductorHardwareInterfacesAlreadyRegistered,
		"Duplication detected for hardware_type, interface_type and interface combinations for this conductor while registering the row "+row,
		"row", row, "hardware_type", hw.HardwareType, "interface_type", hw.InterfaceType, "interfaces", hw.InterfaceName)
}

// removeInterfaceRows deletes the rows written by the batches of per rows
// committed at revisions, each row only if it is still as written (its
// record's ModRevision is its batch's): one transaction per batch, or per
// row when a row of the batch changed meanwhile.
func (s *Store) removeInterfaceRows(ctx context.Context, rows []protoreflect.Message, per int, revisions []int64) error {
	var left []string
	remove := func(batch []protoreflect.Message, rev int64) (bool, error) {
		txn := s.cli.Txn(ctx)
		var cmps []clientv3.Cmp
		var ops []clientv3.Op
		for _, rec := range batch {
			key := s.keys.Record(hardwareInterfacesTable.name, recordID(rec))
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(key), "=", rev))
			ops = append(ops, s.removeOps(hardwareInterfacesTable, rec)...)
		}
		resp, err := txn.If(cmps...).Then(ops...).Commit()
		if err != nil {
			return false, etcdError(err, true)
		}
		return resp.Succeeded, nil
	}
	for b, rev := range revisions {
		batch := rows[b*per : min((b+1)*per, len(rows))]
		if ok, err := remove(batch, rev); err != nil || ok {
			if err != nil {
				return err
			}
			continue
		}
		for _, rec := range batch {
			ok, err := remove([]protoreflect.Message{rec}, rev)
			if err != nil {
				return err
			}
			if !ok {
				left = append(left, s.keys.Record(hardwareInterfacesTable.name, recordID(rec)))
			}
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("rows changed since written were left: %s", strings.Join(left, ", "))
	}
	return nil
}
