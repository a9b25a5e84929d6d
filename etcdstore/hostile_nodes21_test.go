package etcdstore_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// The 21.4 node columns through UpdateNode21, and hostile values as
// filters and check_node_list idents: a typed error and an untouched key
// space, or the value stored verbatim; filters never fail on a value,
// they match or not. (TestHostileInput covers every column through
// CreateNode and UpdateNode.)
func TestHostileNodes21(t *testing.T) {
	f := newFixture(t)
	n := f.mustNode(t, etcdstore.Values{"description": "d", "owner": "o", "shard": "s"})
	columns := []string{"conductor_group", "fault", "protected_reason", "owner", "lessee", "description",
		"bios_interface", "rescue_interface", "retired_reason", "boot_mode", "shard", "version"}
	for _, col := range columns {
		for _, bad := range append([]any{7, true, []string{"x"}}, anySlice(hostileStrings)...) {
			before := f.keysUnder(t)
			got, err := f.UpdateNode21(f.ctx, n.Uuid, etcdstore.Values{col: bad})
			if err != nil {
				if !errors.Is(err, etcdstore.ErrInvalid) {
					t.Fatalf("%s=%.40q: untyped error %v", col, fmt.Sprint(bad), err)
				}
				if after := f.keysUnder(t); !slices.Equal(before, after) {
					t.Fatalf("refused %s=%.40q changed keys", col, fmt.Sprint(bad))
				}
				continue
			}
			m := got.ProtoReflect()
			if v := m.Get(m.Descriptor().Fields().ByName(protoName(col))).String(); v != bad {
				t.Fatalf("%s=%.40q stored as %.40q", col, fmt.Sprint(bad), v)
			}
		}
	}
	for _, s := range hostileStrings {
		for _, key := range []string{"description_contains", "owner", "lessee", "project", "fault", "conductor_group", "uuid", "instance_uuid"} {
			flt, err := etcdstore.ParseNodeFilters(map[string]any{key: s})
			if err != nil {
				t.Fatalf("%s=%.40q: %v", key, s, err)
			}
			if _, err := f.GetNodeList(f.ctx, flt, etcdstore.ListOptions{}); err != nil {
				t.Fatalf("%s=%.40q: %v", key, s, err)
			}
		}
		for _, key := range []string{"uuid_in", "provision_state_in", "shard_in"} {
			flt, err := etcdstore.ParseNodeFilters(map[string]any{key: []any{s}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.CountNodesInProvisionState(f.ctx, s); err != nil {
				t.Fatal(err)
			}
			if _, err := f.GetNodeList(f.ctx, flt, etcdstore.ListOptions{}); err != nil {
				t.Fatalf("%s=%.40q: %v", key, s, err)
			}
		}
		if _, err := f.CheckNodeList(f.ctx, []string{s}, s); !errors.Is(err, etcdstore.ErrNodeNotFound) {
			t.Fatalf("check_node_list %.40q: %v", s, err)
		}
	}
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
