// Package realdb tests package sqlmove against real databases: Debian's
// MariaDB and PostgreSQL, started on loopback by internal/sqltest, and
// SQLite, each with the schema Ironic's `ironic-dbsync create_schema` makes
// and the rows Ironic's own Connection writes. It holds tests only; its own
// test binary owns the SQL servers (sqltest.Main).
package realdb
