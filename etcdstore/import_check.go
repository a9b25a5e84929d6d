package etcdstore

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// FillRecord sets the columns of msg, any record message (a table's, or a
// row kept inside one: *pb.NodeTag, *pb.NodeTrait, *pb.BIOSSetting,
// *pb.DeployTemplateStep), from values, with the conversions and checks
// of a create (see Values): uuids are respelled canonically and MAC
// addresses in lower case, NULL gives a JSON column its empty document.
// Nothing is defaulted: a column not in values stays unset. An import
// builds its records with it and compares them with its rows, to find the
// rows the store would keep differently. InvalidParameterValue (or
// InvalidUUID) naming the column. No 21.4 counterpart; no round trip.
func FillRecord(msg proto.Message, values Values) error {
	rec := msg.ProtoReflect()
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	slices.Sort(names) // the first bad column named is always the same
	for _, name := range names {
		if err := setValue(rec, name, values[name]); err != nil {
			return err
		}
	}
	return validateRecord(rec)
}

// checkImported checks a record to import as a create would check its
// values: every column converts to itself (sizes, UTF-8, JSON documents in
// compact form, microsecond timestamps), uuids canonical, MACs in lower
// case, names without '/', and the fields the store derives consistent.
func checkImported(t *table, rec protoreflect.Message) error {
	if id := recordID(rec); id < 1 {
		return invalidParam("%s id must be a positive integer, not %d", t.noun, id)
	}
	if err := columnsKeepTheirValues(rec); err != nil {
		return err
	}
	switch m := rec.Interface().(type) {
	case *pb.Node:
		if m.ReservationRevision != 0 {
			return invalidParam("node %d: reservation_revision is the store's, not an imported value", m.Id)
		}
		for _, tag := range m.Tags {
			if err := rowOf(m.Id, tag.NodeId, "tag", tag); err != nil {
				return err
			}
		}
		for _, tr := range m.Traits {
			if err := rowOf(m.Id, tr.NodeId, "trait", tr); err != nil {
				return err
			}
		}
		if len(m.Tags) > maxTagsPerNode || len(m.Traits) > MaxTraitsPerNode {
			return invalidParam("node %d: more than %d tags or %d traits", m.Id, maxTagsPerNode, MaxTraitsPerNode)
		}
		if hasDuplicate(m.Tags, func(x *pb.NodeTag) string { return x.Tag }) || hasDuplicate(m.Traits, func(x *pb.NodeTrait) string { return x.Trait }) {
			return invalidParam("node %d: a tag or trait is given twice", m.Id)
		}
	case *pb.Conductor:
		if m.Lease != 0 {
			return invalidParam("conductor %s: an imported conductor has no lease", m.Hostname)
		}
	case *pb.DeployTemplate:
		for _, st := range m.Steps {
			if st.Id < 1 {
				return invalidParam("deploy template %d: step id must be a positive integer, not %d", m.Id, st.Id)
			}
			if err := rowOf(m.Id, st.DeployTemplateId, "step", st); err != nil {
				return err
			}
		}
	case *pb.NodeBIOSSettings:
		for _, st := range m.Settings {
			if err := rowOf(m.Id, st.NodeId, "BIOS setting", st); err != nil {
				return err
			}
		}
		if hasDuplicate(m.Settings, func(x *pb.BIOSSetting) string { return x.Name }) {
			return invalidParam("node %d: a BIOS setting is given twice", m.Id)
		}
	}
	return nil
}

// rowOf checks that a row kept inside record id names it as its owner and
// keeps its values.
func rowOf(id, owner int64, noun string, row proto.Message) error {
	if owner != id {
		return invalidParam("record %d holds a %s of %d", id, noun, owner)
	}
	return columnsKeepTheirValues(row.ProtoReflect())
}

func hasDuplicate[T any](items []T, key func(T) string) bool {
	seen := map[string]bool{}
	for _, it := range items {
		k := key(it)
		if seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}

// columnsKeepTheirValues sets every column of rec, as read, on a copy
// through the create path and reports the first that does not come out
// the same: a value a create would refuse or store differently.
func columnsKeepTheirValues(rec protoreflect.Message) error {
	fields := rec.Descriptor().Fields()
	probe := rec.New()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if derivedField(fd) || fd.IsList() {
			continue
		}
		v := getValue(rec, fd)
		if v == nil {
			continue
		}
		if err := setValue(probe, string(fd.Name()), v); err != nil {
			return err
		}
		if !probe.Get(fd).Equal(rec.Get(fd)) {
			return newError(ErrInvalidParameterValue, fmt.Sprintf("field %q: %v would be stored as %v",
				fd.Name(), rec.Get(fd), probe.Get(fd)), "field", string(fd.Name()))
		}
	}
	probe = proto.Clone(rec.Interface()).ProtoReflect()
	if err := validateRecord(probe); err != nil {
		return err
	}
	if !proto.Equal(probe.Interface(), rec.Interface()) {
		return invalidParam("%s: a MAC address not in lower case", rec.Descriptor().Name())
	}
	return nil
}
