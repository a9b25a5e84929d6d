package sqlmove

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// Dialect is the SQL database a URL names.
type Dialect string

// The dialects Ironic runs on.
const (
	MySQL    Dialect = "mysql"    // MariaDB or MySQL
	Postgres Dialect = "postgres" // PostgreSQL
	SQLite   Dialect = "sqlite"
)

// ErrURL is the family of a URL that cannot be used.
var ErrURL = errors.New("sqlmove: bad database URL")

// Target is a database URL as Ironic's [database] connection spells it,
// turned into what a Go driver opens.
type Target struct {
	Dialect Dialect
	Driver  string // database/sql driver name
	DSN     string // the driver's data source name
	// Path is the SQLite file (empty for the servers).
	Path string
	// Redacted is the URL with its password hidden, for messages.
	Redacted string
}

// ParseURL reads an SQLAlchemy URL as Ironic takes it:
//
//	mysql+pymysql://user:pass@host:3306/ironic?charset=utf8mb4
//	mysql+pymysql://user:pass@/ironic?unix_socket=/run/mysqld/mysqld.sock
//	postgresql+psycopg2://user:pass@host:5432/ironic  (or postgresql://)
//	postgresql://user@/ironic?host=/run/postgresql
//	sqlite:////absolute/path/ironic.sqlite  (sqlite:///relative/path)
//
// User names and passwords are percent-decoded, as SQLAlchemy does.
func ParseURL(raw string) (Target, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return Target{}, fmt.Errorf("%w: %q has no scheme (want mysql+pymysql://, postgresql://, sqlite:///)", ErrURL, redact(raw))
	}
	dialect, driver, _ := strings.Cut(strings.ToLower(scheme), "+")
	switch {
	case dialect == "sqlite" && (driver == "" || driver == "pysqlite"):
		return parseSQLite(raw, rest)
	case dialect == "mysql" && (driver == "" || driver == "pymysql" || driver == "mysqldb"):
		return parseMySQL(raw)
	case (dialect == "postgresql" || dialect == "postgres") && (driver == "" || driver == "psycopg2"):
		return parsePostgres(raw)
	}
	return Target{}, fmt.Errorf("%w: unknown dialect %q (want mysql+pymysql, postgresql+psycopg2 or sqlite)", ErrURL, scheme)
}

func parseSQLite(raw, rest string) (Target, error) {
	// sqlite:///rel -> rest "/rel" -> "rel"; sqlite:////abs -> "//abs" -> "/abs".
	path, query, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "?")
	if path == "" || path == ":memory:" {
		return Target{}, fmt.Errorf("%w: %q names an in-memory SQLite database", ErrURL, raw)
	}
	if query != "" {
		return Target{}, fmt.Errorf("%w: SQLite URL parameters are not supported: %q", ErrURL, query)
	}
	return Target{Dialect: SQLite, Driver: "sqlite", DSN: path, Path: path, Redacted: raw}, nil
}

func parseMySQL(raw string) (Target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Target{}, fmt.Errorf("%w: %v", ErrURL, redactErr(err, raw))
	}
	cfg := mysql.NewConfig()
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	if cfg.DBName == "" || strings.Contains(cfg.DBName, "/") {
		return Target{}, fmt.Errorf("%w: %s names no database", ErrURL, u.Redacted())
	}
	cfg.Net, cfg.Addr = "tcp", "127.0.0.1:3306"
	if h := u.Hostname(); h != "" {
		cfg.Addr = net.JoinHostPort(h, portOr(u.Port(), "3306"))
	}
	cfg.Params = map[string]string{}
	for k, vs := range u.Query() {
		v := vs[len(vs)-1]
		switch k {
		case "unix_socket":
			cfg.Net, cfg.Addr = "unix", v
		case "charset":
			cfg.Params["charset"] = v
		default:
			return Target{}, fmt.Errorf("%w: MySQL URL parameter %q is not supported (charset and unix_socket are)", ErrURL, k)
		}
	}
	// Timestamps are read as text and parsed here (UTC, as Ironic writes
	// them); the session runs in UTC so nothing converts them.
	cfg.ParseTime = false
	cfg.Loc = nil
	cfg.Params["time_zone"] = "'+00:00'"
	return Target{Dialect: MySQL, Driver: "mysql", DSN: cfg.FormatDSN(), Redacted: u.Redacted()}, nil
}

func parsePostgres(raw string) (Target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Target{}, fmt.Errorf("%w: %v", ErrURL, redactErr(err, raw))
	}
	if strings.Trim(u.Path, "/") == "" {
		return Target{}, fmt.Errorf("%w: %s names no database", ErrURL, u.Redacted())
	}
	dsn := *u
	dsn.Scheme = "postgres"
	q := dsn.Query()
	if q.Get("host") == "" && u.Hostname() == "" {
		dsn.Host = "127.0.0.1" + portSuffix(u.Port())
	}
	dsn.RawQuery = q.Encode()
	return Target{Dialect: Postgres, Driver: "pgx", DSN: dsn.String(), Redacted: u.Redacted()}, nil
}

func portOr(p, def string) string {
	if p == "" {
		return def
	}
	return p
}

func portSuffix(p string) string {
	if p == "" {
		return ""
	}
	return ":" + p
}

// redact hides what may be a password in a URL that did not parse.
func redact(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if user, _, hasPass := strings.Cut(rest[:at], ":"); hasPass {
			return scheme + "://" + user + ":xxxxx" + rest[at:]
		}
	}
	return raw
}

func redactErr(err error, raw string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %q: %v", ue.Op, redact(raw), ue.Err)
	}
	return err
}
