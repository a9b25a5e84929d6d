package sqlmove

import (
	"errors"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url     string
		dialect Dialect
		dsn     string
	}{
		{"sqlite:////var/lib/ironic/ironic.sqlite", SQLite, "/var/lib/ironic/ironic.sqlite"},
		{"sqlite:///ironic.sqlite", SQLite, "ironic.sqlite"},
		{"mysql+pymysql://ironic:secret@db.example:3307/ironic?charset=utf8mb4", MySQL,
			"ironic:secret@tcp(db.example:3307)/ironic?charset=utf8mb4&time_zone=%27%2B00%3A00%27"},
		// A password with special characters, percent-encoded as SQLAlchemy wants it.
		{"mysql+pymysql://ironic:p%40ss%3Aw%2Frd@10.0.0.1/ironic", MySQL,
			"ironic:p@ss:w/rd@tcp(10.0.0.1:3306)/ironic?time_zone=%27%2B00%3A00%27"},
		{"mysql://ironic:x@/ironic?unix_socket=/run/mysqld/mysqld.sock", MySQL,
			"ironic:x@unix(/run/mysqld/mysqld.sock)/ironic?time_zone=%27%2B00%3A00%27"},
		{"postgresql+psycopg2://ironic:p%40ss@db:5433/ironic", Postgres, "postgres://ironic:p%40ss@db:5433/ironic"},
		{"postgresql://ironic@/ironic?host=/run/postgresql", Postgres, "postgres://ironic@/ironic?host=%2Frun%2Fpostgresql"},
		{"postgresql://ironic:x@/ironic", Postgres, "postgres://ironic:x@127.0.0.1/ironic"},
	} {
		got, err := ParseURL(tc.url)
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if got.Dialect != tc.dialect || got.DSN != tc.dsn {
			t.Errorf("%s: %s %q, want %s %q", tc.url, got.Dialect, got.DSN, tc.dialect, tc.dsn)
		}
		if strings.Contains(got.Redacted, "secret") {
			t.Errorf("%s: redacted form %q shows the password", tc.url, got.Redacted)
		}
	}
}

func TestParseURLRefuses(t *testing.T) {
	for _, u := range []string{
		"oracle://scott:tiger@db/ironic",          // unknown dialect
		"mysql+mysqlconnector://u:p@db/ironic",    // unknown driver
		"sqlite://",                               // in memory
		"sqlite:///:memory:",                      // in memory
		"sqlite:////tmp/a.sqlite?timeout=5",       // SQLAlchemy options
		"/var/lib/ironic.sqlite",                  // no scheme
		"mysql+pymysql://u:p@db/",                 // no database
		"mysql+pymysql://u:p@db/ironic?ssl_ca=/x", // an option not carried over
		"postgresql://u:secret@db",                // no database
	} {
		_, err := ParseURL(u)
		if !errors.Is(err, ErrURL) {
			t.Errorf("%s: got %v", u, err)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error shows the password: %v", u, err)
		}
	}
}
