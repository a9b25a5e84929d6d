package etcdstore

import (
	"context"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The version methods of Ironic 21.4 (check_versions, get_not_versions,
// update_to_latest_versions) over every model of versions_models.go.

// scanModel reads the records of m's table holding a row that keep
// accepts, in id order, at most limit of them (-1: all). Round trips: one
// per 1,000 records of the table (one freshness check from the read
// cache).
func (s *Store) scanModel(ctx context.Context, m versionedModel, limit int, keep func(row protoreflect.Message) bool) ([]stored, error) {
	return s.list(ctx, m.t, order{limit: limit, nullsLow: true}, func(rec protoreflect.Message) bool {
		return slices.ContainsFunc(m.rows(rec), keep)
	})
}

// CheckVersions follows check_versions(ignore_models=(),
// permit_initial_version=False) of Ironic 21.4: true when every row of
// every model with supported versions in the mapping (Ironic 21.4.4's, or
// WithObjectVersions) has one of them; a NULL version is unsupported.
// Models named in ignoreModels are skipped. permitInitialVersion is
// accepted and changes nothing: it excuses tables missing during an SQL
// upgrade, and every table and version column exists here (so neither
// NoSuchTableError nor DatabaseVersionTooOld is ever raised). Round trips:
// one per 1,000 records of each checked table, stopping at the first
// unsupported row.
func (s *Store) CheckVersions(ctx context.Context, ignoreModels []string, permitInitialVersion bool, opts ...VersionsOption) (bool, error) {
	mapping := versionsOpts(opts)
	for _, m := range versionedModels() {
		supported := mapping.Supported[m.name]
		if len(supported) == 0 || slices.Contains(ignoreModels, m.name) {
			continue
		}
		bad, err := s.scanModel(ctx, m, 1, func(row protoreflect.Message) bool {
			v, ok := rowVersion(row)
			return !ok || !slices.Contains(supported, v)
		})
		if err != nil {
			return false, err
		}
		if len(bad) > 0 {
			return false, nil
		}
	}
	return true, nil
}

func errUnknownModel(name string) error {
	return newError(ErrUnknownModel, fmt.Sprintf("Cannot find model with name: %s", name), "model", name)
}

// GetNotVersions follows get_not_versions(model_name, versions) of Ironic
// 21.4: the rows of the model whose version is NULL or not in versions, in
// id order (a nested model's rows in their records' order: *pb.NodeTag,
// *pb.BIOSSetting, ...). No versions: none, whatever the name. The model
// names are the reference's classes (Node or NodeBase, Port, NodeTag,
// ConductorHardwareInterfaces, ...); another is IronicException
// (ErrUnknownModel). Round trips: one per 1,000 records of the table.
func (s *Store) GetNotVersions(ctx context.Context, modelName string, versions []string) ([]proto.Message, error) {
	if len(versions) == 0 {
		return nil, nil
	}
	m, ok := findModel(modelName)
	if !ok {
		return nil, errUnknownModel(modelName)
	}
	notIn := func(row protoreflect.Message) bool {
		v, ok := rowVersion(row)
		return !ok || !slices.Contains(versions, v)
	}
	sts, err := s.scanModel(ctx, m, -1, notIn)
	if err != nil {
		return nil, err
	}
	out := []proto.Message{}
	for _, st := range sts {
		for _, row := range m.rows(st.rec) {
			if notIn(row) {
				out = append(out, row.Interface())
			}
		}
	}
	return out, nil
}

// UpdateToLatestVersions follows update_to_latest_versions(context,
// max_count) of Ironic 21.4: it sets every row whose version is not the
// model's latest (NULL versions excepted, as SQL's != skips them) to the
// latest, bumping the row's updated_at, and returns (total, migrated):
// the rows needing it when the call began and the rows it changed. At most
// maxCount rows (0: all), spent in the reference's model order; a nested
// model whose rows have no id (node tags, traits, BIOS settings) migrates
// all rows of a record at once, as the reference does by node_id, so
// migrated may exceed maxCount. Negative maxCount: InvalidParameterValue.
//
// Each record is written with a compare on its revision as read, in
// batches of up to WithMaxTxnOps records: a record changed meanwhile is
// migrated from its fresh value, never overwritten. Round trips: one per
// 1,000 records of each table to count, the same again to migrate, and
// one per batch written (plus one per batch that lost a race).
func (s *Store) UpdateToLatestVersions(ctx context.Context, maxCount int, opts ...VersionsOption) (total, migrated int, err error) {
	if maxCount < 0 {
		return 0, 0, invalidParam("max_count must be >= 0, not %d", maxCount)
	}
	mapping := versionsOpts(opts)
	var models []versionedModel
	for _, m := range versionedModels() {
		latest, ok := mapping.Latest[m.name]
		if !ok {
			continue
		}
		sample := m.t.newMsg().ProtoReflect()
		if m.nested != nil {
			sample = sample.NewField(m.nested).List().NewElement().Message()
		}
		if err := setValue(sample, "version", latest); err != nil {
			return 0, 0, err // a mapping that names an impossible version
		}
		models = append(models, m)
	}
	for _, m := range models {
		sts, err := s.scanModel(ctx, m, -1, stale(mapping.Latest[m.name]))
		if err != nil {
			return 0, 0, err
		}
		for _, st := range sts {
			total += countRows(m.rows(st.rec), stale(mapping.Latest[m.name]))
		}
	}
	if total == 0 {
		return 0, 0, nil
	}
	left := maxCount
	if left == 0 {
		left = total
	}
	for _, m := range models {
		if left <= 0 {
			break
		}
		n, err := s.migrateModel(ctx, m, mapping.Latest[m.name], left)
		migrated += n
		left -= n
		if err != nil {
			return total, migrated, err
		}
	}
	return total, migrated, nil
}

// stale reports a row to migrate: a version that is set and not latest.
func stale(latest string) func(protoreflect.Message) bool {
	return func(row protoreflect.Message) bool {
		v, ok := rowVersion(row)
		return ok && v != latest
	}
}

func countRows(rows []protoreflect.Message, keep func(protoreflect.Message) bool) int {
	n := 0
	for _, r := range rows {
		if keep(r) {
			n++
		}
	}
	return n
}
