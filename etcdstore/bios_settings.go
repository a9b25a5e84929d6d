package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// BIOS settings (Ironic 21.4's bios_settings table, one row per node and
// setting name) are kept as one record per node (pb.NodeBIOSSettings,
// key bios_settings/<node id>), created by the node's first settings and
// removed with the node by destroy_node. Every write is one
// compare-and-swap on that key: an update of the record as read, or its
// create comparing that the node exists.

// biosColumns are the columns a setting's dict gives besides its name,
// in the reference's order; like 21.4 the store reads these keys and
// ignores any other.
var biosColumns = []string{"value", "attribute_type", "allowable_values", "lower_bound", "max_length",
	"min_length", "read_only", "reset_required", "unique", "upper_bound"}

// errBIOSRecordTaken: another writer created the node's record since it
// was read absent (the table's alreadyExists); the write starts over.
var errBIOSRecordTaken = errors.New("etcdstore: the node's BIOS settings record was created meanwhile")

// errBIOSRecordGone: the record was removed since read (its node was
// destroyed, or destroyed and its id reused); the write starts over.
var errBIOSRecordGone = errors.New("etcdstore: the node's BIOS settings record was removed meanwhile")

// biosRow is the row of one setting's dict with the object version
// version. As in 21.4, "name" and "value" must be given (value may be
// null) and an absent column is NULL (allowable_values: []).
func biosRow(nodeID int64, setting Values, version string) (*pb.BIOSSetting, error) {
	name, ok := setting["name"].(string)
	if !ok {
		return nil, invalidParam("a BIOS setting needs a name (a string), not %v", setting["name"])
	}
	if _, ok := setting["value"]; !ok {
		return nil, invalidParam("BIOS setting %q needs a value", name)
	}
	row := &pb.BIOSSetting{NodeId: nodeID}
	m := row.ProtoReflect()
	if err := setValue(m, "name", name); err != nil {
		return nil, err
	}
	for _, c := range biosColumns {
		if err := setValue(m, c, setting[c]); err != nil {
			return nil, err
		}
	}
	if err := setValue(m, "version", version); err != nil {
		return nil, err
	}
	return row, nil
}

// biosRows builds the rows of settings.
func biosRows(nodeID int64, settings []Values, version string) ([]*pb.BIOSSetting, error) {
	rows := make([]*pb.BIOSSetting, len(settings))
	for i, setting := range settings {
		row, err := biosRow(nodeID, setting, version)
		if err != nil {
			return nil, err
		}
		rows[i] = row
	}
	return rows, nil
}

func biosIndex(list []*pb.BIOSSetting, name string) int {
	return slices.IndexFunc(list, func(b *pb.BIOSSetting) bool { return b.Name == name })
}

// readBIOSForWrite reads node nodeID's BIOS record and whether the node
// exists, at one revision. One round trip.
func (s *Store) readBIOSForWrite(ctx context.Context, nodeID int64) (cur stored, found, nodeFound bool, err error) {
	ops := append(s.readOps(biosSettingsTable, nodeID),
		clientv3.OpGet(s.keys.Record(nodesTable.name, nodeID), clientv3.WithCountOnly()))
	resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return stored{}, false, false, etcdError(err, false)
	}
	cur, found, err = s.parseRead(biosSettingsTable, resp.Responses[:1])
	return cur, found, resp.Responses[1].GetResponseRange().Count > 0, err
}

// changeBIOS applies change to node nodeID's settings in one
// compare-and-swap: on the record as read, or creating it (with the node
// compared present) when the node has none and change leaves some.
// change runs again on the fresh settings after a lost race. NodeNotFound
// first, then change's error. Round trips: two, plus two per lost race.
func (s *Store) changeBIOS(ctx context.Context, nodeID int64, change func(list *[]*pb.BIOSSetting) error) (*pb.NodeBIOSSettings, error) {
	for {
		cur, found, nodeFound, err := s.readBIOSForWrite(ctx, nodeID)
		if err != nil {
			return nil, err
		}
		if !nodeFound {
			return nil, errNodeNotFound(strconv.FormatInt(nodeID, 10))
		}
		if found {
			st, err := s.update(ctx, biosSettingsTable, ident{id: nodeID}, cur, true,
				func() error { return errBIOSRecordGone },
				func(_ stored, next protoreflect.Message) (txnPart, error) {
					return txnPart{}, change(&next.Interface().(*pb.NodeBIOSSettings).Settings)
				})
			if err == nil {
				return st.rec.Interface().(*pb.NodeBIOSSettings), nil
			}
			if !isErr(err, errBIOSRecordGone) {
				return nil, err
			}
		} else {
			rec := &pb.NodeBIOSSettings{Id: nodeID}
			if err := change(&rec.Settings); err != nil || len(rec.Settings) == 0 {
				return rec, err // nothing to store
			}
			_, err := s.create(ctx, biosSettingsTable, rec.ProtoReflect(), false, nil)
			if err == nil {
				return rec, nil
			}
			if !isErr(err, errBIOSRecordTaken) {
				return nil, err
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// rowsNamed are clones of the rows of rec named by rows, in their order.
func rowsNamed(rec *pb.NodeBIOSSettings, rows []*pb.BIOSSetting) []*pb.BIOSSetting {
	out := make([]*pb.BIOSSetting, len(rows))
	for i, row := range rows {
		out[i] = proto.Clone(rec.Settings[biosIndex(rec.Settings, row.Name)]).(*pb.BIOSSetting)
	}
	return out
}

// CreateBIOSSettingList adds settings (each a dict of its columns, as
// 21.4's create_bios_setting_list takes them) to node nodeID with the
// object version version and returns the new rows in order.
// NodeNotFound, then InvalidParameterValue for a setting without a name
// or value or with a bad column, then BIOSSettingAlreadyExists naming the
// first setting the node has already (or that settings repeats); nothing
// is written on an error. Round trips: two, plus two per lost race.
func (s *Store) CreateBIOSSettingList(ctx context.Context, nodeID int64, settings []Values, version string) ([]*pb.BIOSSetting, error) {
	rows, badInput := biosRows(nodeID, settings, version)
	rec, err := s.changeBIOS(ctx, nodeID, func(list *[]*pb.BIOSSetting) error {
		if badInput != nil {
			return badInput
		}
		now := timestampOf(s.now())
		for _, row := range rows {
			if biosIndex(*list, row.Name) >= 0 {
				id := strconv.FormatInt(nodeID, 10)
				return newError(ErrBIOSSettingAlreadyExists, fmt.Sprintf("a BIOS setting %s for node %s already exists", row.Name, id), "node", id, "name", row.Name)
			}
			row = proto.Clone(row).(*pb.BIOSSetting)
			row.CreatedAt = now
			*list = append(*list, row)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rowsNamed(rec, rows), nil
}

// UpdateBIOSSettingList sets every column of the node's settings named in
// settings to the values given (an absent column becomes NULL, as in
// 21.4's update_bios_setting_list) with the object version version, and
// returns the rows in order; a row that changes gets updated_at now.
// NodeNotFound, then InvalidParameterValue as for create, then
// BIOSSettingNotFound naming the first setting the node does not have;
// nothing is written on an error. Round trips: two, plus two per lost
// race.
func (s *Store) UpdateBIOSSettingList(ctx context.Context, nodeID int64, settings []Values, version string) ([]*pb.BIOSSetting, error) {
	rows, badInput := biosRows(nodeID, settings, version)
	rec, err := s.changeBIOS(ctx, nodeID, func(list *[]*pb.BIOSSetting) error {
		if badInput != nil {
			return badInput
		}
		for _, row := range rows {
			i := biosIndex(*list, row.Name)
			if i < 0 {
				return errBIOSSettingNotFound(nodeID, row.Name)
			}
			old := (*list)[i]
			row = proto.Clone(row).(*pb.BIOSSetting)
			row.CreatedAt, row.UpdatedAt = old.CreatedAt, old.UpdatedAt
			if !proto.Equal(row, old) {
				row.UpdatedAt = timestampOf(s.now())
			}
			(*list)[i] = row
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rowsNamed(rec, rows), nil
}

// DeleteBIOSSettingList removes the node's settings named in names
// (21.4's delete_bios_setting_list). NodeNotFound; BIOSSettingListNotFound
// naming (comma-separated) the names the node did not have, after the
// others were deleted, as in 21.4. Round trips: two, plus two per lost
// race.
func (s *Store) DeleteBIOSSettingList(ctx context.Context, nodeID int64, names []string) error {
	var missing []string
	_, err := s.changeBIOS(ctx, nodeID, func(list *[]*pb.BIOSSetting) error {
		missing = nil
		for _, name := range names {
			if i := biosIndex(*list, name); i >= 0 {
				*list = slices.Delete(*list, i, i+1)
			} else {
				missing = append(missing, name)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		id, joined := strconv.FormatInt(nodeID, 10), strings.Join(missing, ",")
		return newError(ErrBIOSSettingListNotFound, fmt.Sprintf("node %s doesn't have BIOS settings '%s'", id, joined), "node", id, "names", joined)
	}
	return nil
}

// biosSettingsOf reads node nodeID's settings (none when it has no
// record). NodeNotFound. One round trip when the node has a record (which
// exists only while its node does), two otherwise.
func (s *Store) biosSettingsOf(ctx context.Context, nodeID int64) ([]*pb.BIOSSetting, error) {
	st, found, err := s.getByID(ctx, biosSettingsTable, nodeID)
	if err != nil {
		return nil, err
	}
	if found {
		return st.rec.Interface().(*pb.NodeBIOSSettings).Settings, nil
	}
	if _, found, err := s.getByID(ctx, nodesTable, nodeID); err != nil || !found {
		if err == nil {
			err = errNodeNotFound(strconv.FormatInt(nodeID, 10))
		}
		return nil, err
	}
	return nil, nil
}

// GetBIOSSetting returns node nodeID's setting name (21.4's
// get_bios_setting). NodeNotFound, BIOSSettingNotFound. One round trip
// when the node has BIOS settings, two otherwise.
func (s *Store) GetBIOSSetting(ctx context.Context, nodeID int64, name string) (*pb.BIOSSetting, error) {
	list, err := s.biosSettingsOf(ctx, nodeID)
	if err != nil {
		return nil, err
	}
	i := biosIndex(list, name)
	if i < 0 {
		return nil, errBIOSSettingNotFound(nodeID, name)
	}
	return list[i], nil
}

// GetBIOSSettingList returns node nodeID's settings in the order they
// were created, maybe none (21.4's get_bios_setting_list). NodeNotFound.
// One round trip when the node has BIOS settings, two otherwise.
func (s *Store) GetBIOSSettingList(ctx context.Context, nodeID int64) ([]*pb.BIOSSetting, error) {
	list, err := s.biosSettingsOf(ctx, nodeID)
	if err != nil {
		return nil, err
	}
	return nonNil(list), nil
}

func errBIOSSettingNotFound(nodeID int64, name string) error {
	id := strconv.FormatInt(nodeID, 10)
	return newError(ErrBIOSSettingNotFound, fmt.Sprintf("node %s doesn't have a BIOS setting '%s'", id, name), "node", id, "name", name)
}
