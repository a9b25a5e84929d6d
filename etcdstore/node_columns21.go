package etcdstore

import (
	"context"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/pb"
)

// GetNodeListColumns is Ironic 21.4's get_node_list_columns, and
// get_node_list with fields: the nodes that match f, paged and sorted as
// GetNodeList, each with only the asked columns and its id filled (the
// reference always loads the primary key); every other field is left
// empty (nil, false, "", no JSON document). "traits" and "tags" may be
// asked as columns. An unknown column is InvalidParameterValue; so is an
// empty list (the reference's get_node_list treats no fields as all of
// them: call GetNodeList). Round trips as GetNodeList.
func (s *Store) GetNodeListColumns(ctx context.Context, columns []string, f NodeFilter, opts ListOptions) ([]*pb.Node, error) {
	fds, err := nodeColumns(columns, true)
	if err != nil {
		return nil, err
	}
	if len(fds) == 0 {
		return nil, invalidParam("get_node_list_columns needs at least one column")
	}
	sts, err := s.listNodes(ctx, f, opts, true)
	if err != nil {
		return nil, err
	}
	fds = append(fds, nodesTable.newMsg().ProtoReflect().Descriptor().Fields().ByName("id"))
	out := make([]*pb.Node, len(sts))
	for i, st := range sts {
		n := &pb.Node{}
		m := n.ProtoReflect()
		for _, fd := range fds {
			copyField(m, st.rec, fd)
		}
		out[i] = n
	}
	return out, nil
}

// nodeColumns resolves column names of the nodes table; lists are the
// derived tags and traits, allowed when withLists.
func nodeColumns(columns []string, withLists bool) ([]protoreflect.FieldDescriptor, error) {
	fields := nodesTable.newMsg().ProtoReflect().Descriptor().Fields()
	fds := make([]protoreflect.FieldDescriptor, len(columns))
	for i, c := range columns {
		fd := fields.ByName(protoreflect.Name(c))
		if fd == nil || c == "reservation_revision" || (fd.IsList() && !withLists) {
			return nil, invalidParam("unknown node column %q", c)
		}
		fds[i] = fd
	}
	return fds, nil
}

// copyField copies field fd of src into dst, deeply: src may be the read
// cache's record.
func copyField(dst, src protoreflect.Message, fd protoreflect.FieldDescriptor) {
	switch {
	case fd.IsList():
		from, to := src.Get(fd).List(), dst.Mutable(fd).List()
		for i := 0; i < from.Len(); i++ {
			to.Append(protoreflect.ValueOfMessage(proto.Clone(from.Get(i).Message().Interface()).ProtoReflect()))
		}
	case !src.Has(fd):
	case fd.Kind() == protoreflect.MessageKind:
		dst.Set(fd, protoreflect.ValueOfMessage(proto.Clone(src.Get(fd).Message().Interface()).ProtoReflect()))
	case fd.Kind() == protoreflect.BytesKind:
		dst.Set(fd, protoreflect.ValueOfBytes(append([]byte(nil), src.Get(fd).Bytes()...)))
	default:
		dst.Set(fd, src.Get(fd))
	}
}
