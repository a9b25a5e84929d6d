package etcdstore_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
)

// Every filter 21.4 adds, through ParseNodeFilters as a conductor sends
// them, on get_node_list and get_nodeinfo_list (test_nodes.py:
// test_get_nodeinfo_list_with_filters, test_get_node_list_with_filters,
// _filter_by_project, _description, test_get_nodeinfo_list_provision).
func TestNodeFilters21(t *testing.T) {
	f := newFixture(t)
	a := f.mustNode(t, etcdstore.Values{"instance_uuid": uuidA, "owner": "project1", "lessee": "project2",
		"description": "Hello 50% world_x", "shard": "s1", "provision_state": "active"})
	b := f.mustNode(t, etcdstore.Values{"power_state": "power on", "fault": "boom", "conductor_group": "group1",
		"owner": "project2", "description": "World!", "retired": true, "provision_state": "deploying"})
	c := f.mustNode(t, etcdstore.Values{"retired": nil, "owner": "project1", "lessee": "project3", "shard": "s2"})
	all := []int64{a.Id, b.Id, c.Id}
	cases := []struct {
		filters map[string]any
		want    []int64
	}{
		{map[string]any{"id": a.Id}, []int64{a.Id}},
		{map[string]any{"id": float64(b.Id)}, []int64{b.Id}}, // a JSON number
		{map[string]any{"uuid": a.Uuid}, []int64{a.Id}},
		{map[string]any{"uuid": strings.ToUpper(b.Uuid)}, []int64{b.Id}},
		{map[string]any{"uuid": "nonsense"}, []int64{}},
		{map[string]any{"instance_uuid": strings.ToUpper(uuidA)}, []int64{a.Id}},
		{map[string]any{"instance_uuid": nil}, []int64{b.Id, c.Id}},
		{map[string]any{"retired": true}, []int64{b.Id}},
		{map[string]any{"retired": false}, []int64{a.Id}},
		{map[string]any{"retired": nil}, []int64{c.Id}},
		{map[string]any{"fault": "boom"}, []int64{b.Id}},
		{map[string]any{"fault": "moob"}, []int64{}},
		{map[string]any{"fault": nil}, []int64{a.Id, c.Id}},
		{map[string]any{"conductor_group": "group1"}, []int64{b.Id}},
		{map[string]any{"conductor_group": ""}, []int64{a.Id, c.Id}},
		{map[string]any{"conductor_group": "group2"}, []int64{}},
		{map[string]any{"conductor_group": nil}, []int64{}}, // NOT NULL
		{map[string]any{"owner": "project1"}, []int64{a.Id, c.Id}},
		{map[string]any{"lessee": "project3"}, []int64{c.Id}},
		{map[string]any{"lessee": nil}, []int64{b.Id}},
		{map[string]any{"uuid_in": []any{uuidB, strings.ToUpper(a.Uuid), uuidC}}, []int64{a.Id}},
		{map[string]any{"uuid_in": []any{}}, []int64{}},
		{map[string]any{"provision_state_in": []any{"active", "deploying"}}, []int64{a.Id, b.Id}},
		{map[string]any{"provision_state_in": []any{"enroll", "nowhere"}}, []int64{c.Id}},
		{map[string]any{"provision_state_in": []any{}}, []int64{}},
		{map[string]any{"shard_in": []any{"s2", "s3"}}, []int64{c.Id}},
		{map[string]any{"with_power_state": true}, []int64{b.Id}},
		{map[string]any{"with_power_state": false}, []int64{a.Id, c.Id}},
		{map[string]any{"sharded": true}, []int64{a.Id, c.Id}},
		{map[string]any{"sharded": false}, []int64{b.Id}},
		{map[string]any{"description_contains": "Hello"}, []int64{a.Id}},
		{map[string]any{"description_contains": "World!"}, []int64{b.Id}},
		{map[string]any{"description_contains": "world"}, []int64{a.Id, b.Id}}, // any case, as MySQL and SQLite
		{map[string]any{"description_contains": "50%"}, []int64{a.Id}},
		{map[string]any{"description_contains": "%"}, []int64{a.Id}},   // literal, not LIKE's wildcard
		{map[string]any{"description_contains": "d_x"}, []int64{a.Id}}, // literal
		{map[string]any{"description_contains": "d_!"}, []int64{}},     // '_' is no wildcard
		{map[string]any{"description_contains": nil}, all},             // ignored, as the reference
		{map[string]any{"description_contains": "\x00/.."}, []int64{}}, // hostile: no match, no error
		{map[string]any{"project": "project1"}, []int64{a.Id, c.Id}},
		{map[string]any{"project": "project2"}, []int64{a.Id, b.Id}},
		{map[string]any{"project": "project3"}, []int64{c.Id}},
		{map[string]any{"project": "flargle"}, []int64{}},
		{map[string]any{"project": nil}, []int64{b.Id}}, // owner IS NULL OR lessee IS NULL
		{map[string]any{"project": "project1", "sharded": true, "retired": false}, []int64{a.Id}},
	}
	for _, tc := range cases {
		flt, err := etcdstore.ParseNodeFilters(tc.filters)
		if err != nil {
			t.Fatalf("%v: %v", tc.filters, err)
		}
		nodes, err := f.GetNodeList(f.ctx, flt, etcdstore.ListOptions{})
		if err != nil || !slices.Equal(nodeIDs(nodes), tc.want) {
			t.Errorf("get_node_list %v: %v %v, want %v", tc.filters, nodeIDs(nodes), err, tc.want)
		}
		rows, err := f.GetNodeinfoList(f.ctx, []string{"id", "conductor_group"}, flt, etcdstore.ListOptions{})
		got := []int64{}
		for _, r := range rows {
			got = append(got, r[0].(int64))
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("get_nodeinfo_list %v: %v %v, want %v", tc.filters, got, err, tc.want)
		}
	}
}

// Unknown filters and values of the wrong type are refused, even beside
// good ones (the reference raises ValueError naming the filter).
func TestNodeFilters21Refused(t *testing.T) {
	for _, bad := range []map[string]any{
		{"bad_filter": "foo"}, {"bad_filter": "foo", "id": 1}, {"id": "one"}, {"id": 1.5}, {"uuid": nil},
		{"retired": "yes"}, {"uuid_in": "a"}, {"shard_in": []any{1}}, {"provision_state_in": nil},
		{"with_power_state": nil}, {"sharded": 1}, {"description_contains": 7}, {"project": []any{}},
		{"owner": 1}, {"traits": []any{}},
	} {
		_, err := etcdstore.ParseNodeFilters(bad)
		if !errors.Is(err, etcdstore.ErrInvalidParameterValue) {
			t.Errorf("%v: %v", bad, err)
		}
		if _, ok := bad["bad_filter"]; ok && !strings.Contains(err.Error(), "bad_filter") {
			t.Errorf("the error does not name the filter: %v", err)
		}
	}
}

// provisioned_before and inspection_started_before with provision_state
// and provision_state_in (test_get_nodeinfo_list_provision, _inspection).
func TestNodeFilters21Provision(t *testing.T) {
	f := newFixture(t)
	past := epoch
	n1 := f.mustNode(t, etcdstore.Values{"provision_updated_at": past, "provision_state": "deploying"})
	n2 := f.mustNode(t, etcdstore.Values{"provision_state": "wait call-back"})
	f.mustNode(t, etcdstore.Values{"provision_updated_at": past.Add(8 * time.Minute)})
	f.clock.Advance(10 * time.Minute)
	for _, tc := range []struct {
		filters map[string]any
		want    []int64
	}{
		{map[string]any{"provisioned_before": 300}, []int64{n1.Id}},
		{map[string]any{"provision_state": "wait call-back"}, []int64{n2.Id}},
		{map[string]any{"provision_state_in": []any{"active", "deploying"}}, []int64{n1.Id}},
		{map[string]any{"provision_state_in": []any{"deploying"}, "provision_state": "wait call-back"}, []int64{}},
	} {
		flt, err := etcdstore.ParseNodeFilters(tc.filters)
		if err != nil {
			t.Fatal(err)
		}
		nodes, err := f.GetNodeList(f.ctx, flt, etcdstore.ListOptions{})
		if err != nil || !slices.Equal(nodeIDs(nodes), tc.want) {
			t.Errorf("%v: %v %v, want %v", tc.filters, nodeIDs(nodes), err, tc.want)
		}
	}
}

// Lists sort by the 21.4 columns, NULL lowest; traits and tags are no
// sort keys.
func TestNodeListSort21(t *testing.T) {
	f := newFixture(t)
	a := f.mustNode(t, etcdstore.Values{"shard": "b", "conductor_group": "z", "protected": true})
	b := f.mustNode(t, etcdstore.Values{"shard": "a", "conductor_group": "y"})
	c := f.mustNode(t, etcdstore.Values{"conductor_group": "x"})
	for _, tc := range []struct {
		key, dir string
		want     []int64
	}{
		{"shard", "asc", []int64{c.Id, b.Id, a.Id}},
		{"shard", "desc", []int64{a.Id, b.Id, c.Id}},
		{"conductor_group", "asc", []int64{c.Id, b.Id, a.Id}},
		{"protected", "desc", []int64{a.Id, c.Id, b.Id}},
		{"version", "asc", []int64{a.Id, b.Id, c.Id}},
	} {
		nodes, err := f.GetNodeList(f.ctx, etcdstore.NodeFilter{}, etcdstore.ListOptions{SortKey: tc.key, SortDir: tc.dir})
		if err != nil || !slices.Equal(nodeIDs(nodes), tc.want) {
			t.Errorf("%s %s: %v %v, want %v", tc.key, tc.dir, nodeIDs(nodes), err, tc.want)
		}
	}
	for _, key := range []string{"traits", "tags"} {
		_, err := f.GetNodeList(f.ctx, etcdstore.NodeFilter{}, etcdstore.ListOptions{SortKey: key})
		wantErr(t, err, etcdstore.ErrInvalidParameterValue)
	}
}
