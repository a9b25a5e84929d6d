package sqlmove

import (
	"context"
	"testing"

	"github.com/ironic-etcd/ironic-etcd/internal/sqltest"
)

// Each dialect: a database Ironic's Connection filled -> store -> a fresh
// database of the same dialect: the dumps (read by SQLAlchemy) are equal,
// and both --verify pass.
func TestRoundTripEachDialect(t *testing.T) {
	for _, tc := range []struct {
		name string
		new  func(testing.TB) string
	}{
		{"sqlite", sqltest.NewSQLite},
		{"mariadb", sqltest.StartMariaDB},
		{"postgresql", sqltest.StartPostgres},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			src := tc.new(t)
			sqltest.CreateSchema(t, src)
			sqltest.Fill(t, src, "--nodes", "12")
			s := testStore(t)
			if rep, err := Import(ctx, s, src, Options{Verify: true}); err != nil {
				t.Fatalf("import: %v %v", err, rep)
			}
			dst := tc.new(t)
			sqltest.CreateSchema(t, dst)
			if rep, err := Export(ctx, s, dst, Options{Verify: true}); err != nil {
				t.Fatalf("export: %v %v", err, rep)
			}
			if diff := sqltest.Diff(sqltest.Dump(t, src), sqltest.Dump(t, dst)); len(diff) > 0 {
				t.Fatalf("round trip differs:\n%v", diff)
			}
		})
	}
}
