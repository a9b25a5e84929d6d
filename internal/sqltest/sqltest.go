package sqltest

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Python is Debian's interpreter, the one python3-ironic is installed for.
const Python = "/usr/bin/python3"

// shared holds one server per kind per test binary: they start slowly on
// 2 cores, so every test of the binary gets its own database on them.
var shared struct {
	sync.Mutex
	main    bool
	servers map[string]*Server
	errs    map[string]error
}

// Main runs the tests, then stops the servers they started. A package
// that uses StartMariaDB or StartPostgres calls it from its TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(sqltest.Main(m)) }
func Main(m *testing.M) int {
	shared.Lock()
	shared.main = true
	shared.Unlock()
	code := m.Run()
	StopShared()
	return code
}

// StopShared stops the shared servers (Main does it after the tests).
func StopShared() {
	shared.Lock()
	defer shared.Unlock()
	for kind, s := range shared.servers {
		s.Stop()
		delete(shared.servers, kind)
	}
}

// SharedServer returns the test binary's server of kind "mysql" or
// "postgresql", starting it on first use; a missing binary fails t and
// names `make deps-sql`.
func SharedServer(t testing.TB, kind string) *Server {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if !shared.main {
		t.Fatalf("sqltest: the package's TestMain must call sqltest.Main, which stops the servers after the tests")
	}
	if s := shared.servers[kind]; s != nil {
		return s
	}
	if err := shared.errs[kind]; err != nil {
		t.Fatalf("sqltest: %s server: %v", kind, err)
	}
	start := StartMariaDBServer
	if kind == "postgresql" {
		start = StartPostgresServer
	}
	s, err := start()
	if shared.servers == nil {
		shared.servers, shared.errs = map[string]*Server{}, map[string]error{}
	}
	if err != nil {
		shared.errs[kind] = err
		t.Fatalf("sqltest: %s server: %v", kind, err)
	}
	shared.servers[kind] = s
	return s
}

// StartMariaDB returns the URL of a new empty database on the binary's
// MariaDB server, as mysql+pymysql://ironic:PASS@127.0.0.1:PORT/NAME?charset=utf8mb4.
// The database is dropped when t ends.
func StartMariaDB(t testing.TB) string { return newDatabase(t, "mysql") }

// StartPostgres returns the URL of a new empty database on the binary's
// PostgreSQL server, as postgresql+psycopg2://ironic:PASS@127.0.0.1:PORT/NAME.
// The database is dropped when t ends.
func StartPostgres(t testing.TB) string { return newDatabase(t, "postgresql") }

func newDatabase(t testing.TB, kind string) string {
	t.Helper()
	s := SharedServer(t, kind)
	u, err := s.CreateDatabase()
	if err != nil {
		t.Fatalf("sqltest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.DropDatabase(DatabaseName(u)); err != nil {
			t.Errorf("sqltest: %v", err)
		}
	})
	return u
}

// NewSQLite returns sqlite:////abs/path/ironic.sqlite in a temp dir of t;
// the file does not exist until the schema is made.
func NewSQLite(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("sqlite3"); err != nil {
		t.Fatalf("sqltest: sqlite3 %v", ErrMissing)
	}
	return "sqlite:///" + filepath.Join(t.TempDir(), "ironic.sqlite")
}

var schemaTemplate struct {
	once sync.Once
	file []byte
	err  error
}

// SchemaSQLite returns the URL and path of a new SQLite file in a temp
// dir of t that holds Ironic 21.4's empty schema. ironic-dbsync
// create_schema runs once per test binary; each call copies its file.
func SchemaSQLite(t testing.TB) (string, string) {
	t.Helper()
	schemaTemplate.once.Do(func() {
		dir, err := os.MkdirTemp("", "sqltest-schema-")
		if err != nil {
			schemaTemplate.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "ironic.sqlite")
		if schemaTemplate.err = RunCreateSchema("sqlite:///"+path, dir); schemaTemplate.err == nil {
			schemaTemplate.file, schemaTemplate.err = os.ReadFile(path)
		}
	})
	if schemaTemplate.err != nil {
		t.Fatalf("sqltest: Ironic 21.4's schema (`make deps-ironic` installs Ironic): %v", schemaTemplate.err)
	}
	path := filepath.Join(t.TempDir(), "ironic.sqlite")
	if err := os.WriteFile(path, schemaTemplate.file, 0o600); err != nil {
		t.Fatal(err)
	}
	return "sqlite:///" + path, path
}

// DatabaseName is the database of a MariaDB or PostgreSQL URL, or the
// file of a SQLite one.
func DatabaseName(rawURL string) string {
	if p, ok := strings.CutPrefix(rawURL, "sqlite:///"); ok {
		return p
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

// ExecSQL runs raw SQL on the database of rawURL as its superuser (or
// with the sqlite3 shell): for tests that write rows Ironic never would.
func ExecSQL(t testing.TB, rawURL, sql string) {
	t.Helper()
	if file, ok := strings.CutPrefix(rawURL, "sqlite:///"); ok {
		if _, err := run(exec.Command("sqlite3", "-bail", file, sql), 2*time.Minute); err != nil {
			t.Fatalf("sqltest: %v", err)
		}
		return
	}
	s := serverOf(t, rawURL)
	if err := s.Exec(DatabaseName(rawURL), sql); err != nil {
		t.Fatalf("sqltest: %v", err)
	}
}

func serverOf(t testing.TB, rawURL string) *Server {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("sqltest: %v", err)
	}
	port, _ := strconv.Atoi(u.Port())
	shared.Lock()
	defer shared.Unlock()
	for _, s := range shared.servers {
		if s.Port == port {
			return s
		}
	}
	t.Fatalf("sqltest: no server of ours serves %s", u.Host)
	return nil
}

// CreateSchema runs Ironic's own `ironic-dbsync create_schema` on rawURL.
func CreateSchema(t testing.TB, rawURL string) {
	t.Helper()
	if err := RunCreateSchema(rawURL, t.TempDir()); err != nil {
		t.Fatalf("sqltest: %v", err)
	}
}

// Fill writes Ironic's data into rawURL through Ironic's Connection
// (`ironic_sql_fixture.py fill --url rawURL args...`: --nodes N, --seed S).
func Fill(t testing.TB, rawURL string, args ...string) {
	t.Helper()
	if err := RunFill(rawURL, args...); err != nil {
		t.Fatalf("sqltest: %v", err)
	}
}

// RunCreateSchema is CreateSchema outside a test, with its config file in
// dir. Debian ships the ironic-dbsync script in ironic-common, which
// would configure a database of its own: this runs the same entry point
// (ironic.cmd.dbsync:main) from python3-ironic.
func RunCreateSchema(rawURL, dir string) error {
	conf := filepath.Join(dir, "ironic-dbsync.conf")
	if err := os.WriteFile(conf, []byte("[database]\nconnection = "+rawURL+"\n"), 0o600); err != nil {
		return err
	}
	_, err := run(exec.Command(Python, "-c",
		"import sys; from ironic.cmd.dbsync import main; sys.exit(main())",
		"--config-file", conf, "create_schema"), 10*time.Minute)
	if err != nil {
		return fmt.Errorf("ironic-dbsync create_schema: %w", err)
	}
	return nil
}

// RunFill is Fill outside a test.
func RunFill(rawURL string, args ...string) error {
	_, err := run(exec.Command(Python, append([]string{FixtureScript(), "fill", "--url", rawURL}, args...)...), 2*time.Hour)
	return err
}

// FixtureScript is the path of python/tools/ironic_sql_fixture.py in the
// source tree this package was built from.
func FixtureScript() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "python", "tools", "ironic_sql_fixture.py")
}
