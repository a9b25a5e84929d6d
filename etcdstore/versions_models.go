package etcdstore

import (
	"slices"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// The models the version methods walk, found in the schema rather than
// listed: every table of tablesByName whose record has a `version` column
// is a model, and so is every repeated message inside a record that has
// one (a node's tags and traits, a deploy template's steps, the BIOS
// settings of a node's record). A table added to tablesByName is picked up
// with no change here.

// ObjectVersions is the version mapping the version methods judge by,
// keyed by Ironic's object (model) name: Supported are the versions a
// record may be in (release_mappings.get_object_versions()), Latest the
// one update_to_latest_versions writes (RELEASE_MAPPING['master']). A model
// without an entry is not checked or migrated, as in the reference.
type ObjectVersions struct {
	Supported map[string][]string
	Latest    map[string]string
}

// VersionsOption configures check_versions and update_to_latest_versions.
type VersionsOption func(*ObjectVersions)

// WithObjectVersions judges by m instead of Ironic 21.4.4's mapping.
func WithObjectVersions(m ObjectVersions) VersionsOption {
	return func(o *ObjectVersions) { *o = m }
}

func versionsOpts(opts []VersionsOption) ObjectVersions {
	m := Ironic214ObjectVersions()
	for _, opt := range opts {
		opt(&m)
	}
	return m
}

// versionedModel is one model: the rows of a table (nested nil), or the
// rows of a repeated field inside that table's records.
type versionedModel struct {
	name   string
	t      *table
	nested protoreflect.FieldDescriptor // the repeated field holding the rows
}

// modelNames maps a record message to its model's name where they differ.
var modelNames = map[protoreflect.Name]string{"ConductorHardwareInterface": "ConductorHardwareInterfaces"}

// modelOrder is the order in which the reference's models.Base subclasses
// (then Node) are walked; update_to_latest_versions spends max_count in
// it. Models not listed come after, by name.
var modelOrder = []string{"Chassis", "Conductor", "ConductorHardwareInterfaces", "Port", "Portgroup",
	"NodeTag", "VolumeConnector", "VolumeTarget", "NodeTrait", "BIOSSetting", "Allocation",
	"DeployTemplate", "DeployTemplateStep", "NodeHistory", "NodeInventory", "Node"}

func modelName(d protoreflect.MessageDescriptor) string {
	if n, ok := modelNames[d.Name()]; ok {
		return n
	}
	return string(d.Name())
}

func hasVersion(d protoreflect.MessageDescriptor) bool {
	fd := d.Fields().ByName("version")
	return fd != nil && fd.Kind() == protoreflect.StringKind
}

// versionedModels lists every model of the schema, in modelOrder.
func versionedModels() []versionedModel {
	var out []versionedModel
	for _, t := range tablesByName {
		d := t.newMsg().ProtoReflect().Descriptor()
		if hasVersion(d) {
			out = append(out, versionedModel{name: modelName(d), t: t})
		}
		fields := d.Fields()
		for i := 0; i < fields.Len(); i++ {
			fd := fields.Get(i)
			if fd.IsList() && fd.Message() != nil && hasVersion(fd.Message()) {
				out = append(out, versionedModel{name: modelName(fd.Message()), t: t, nested: fd})
			}
		}
	}
	rank := func(name string) int {
		if i := slices.Index(modelOrder, name); i >= 0 {
			return i
		}
		return len(modelOrder)
	}
	slices.SortFunc(out, func(a, b versionedModel) int {
		if ra, rb := rank(a.name), rank(b.name); ra != rb {
			return ra - rb
		}
		if a.name < b.name {
			return -1
		}
		if a.name > b.name {
			return 1
		}
		return 0
	})
	return out
}

// findModel is the model named name; "NodeBase" is Node, as the reference
// maps Node to NodeBase.
func findModel(name string) (versionedModel, bool) {
	if name == "NodeBase" {
		name = "Node"
	}
	for _, m := range versionedModels() {
		if m.name == name {
			return m, true
		}
	}
	return versionedModel{}, false
}

// rows are the model's rows in rec: rec itself, or its nested list.
func (m versionedModel) rows(rec protoreflect.Message) []protoreflect.Message {
	if m.nested == nil {
		return []protoreflect.Message{rec}
	}
	list := rec.Get(m.nested).List()
	out := make([]protoreflect.Message, list.Len())
	for i := range out {
		out[i] = list.Get(i).Message()
	}
	return out
}

// version is a row's version; ok false when it is NULL.
func rowVersion(row protoreflect.Message) (string, bool) {
	fd := row.Descriptor().Fields().ByName("version")
	if !row.Has(fd) {
		return "", false
	}
	return row.Get(fd).String(), true
}

func setRowVersion(row protoreflect.Message, v string) {
	row.Set(row.Descriptor().Fields().ByName("version"), protoreflect.ValueOfString(v))
}

// rowsByID reports whether the model's rows have their own id (a nested
// model without one, such as node tags, is migrated a whole parent at a
// time, as the reference does by node_id).
func (m versionedModel) rowsByID() bool {
	return m.nested == nil || m.nested.Message().Fields().ByName("id") != nil
}
