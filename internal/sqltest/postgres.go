package sqltest

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"
)

// StartPostgresServer initialises a cluster in a new temp dir (initdb) and
// starts postgres on a free loopback port with its unix socket in that dir,
// then creates the role "ironic" (login, createdb) with a random password.
// PostgreSQL refuses to run as root: as root, the dir belongs to the
// "postgres" user that Debian's package creates, and the server runs as it.
func StartPostgresServer() (*Server, error) {
	bin, err := postgresBinDir()
	if err != nil {
		return nil, err
	}
	psql, err := lookPath("psql", "/usr/bin", bin)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // the free port may be taken first
		s, err := startPostgres(bin, psql)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// postgresBinDir is Debian's /usr/lib/postgresql/<newest>/bin.
func postgresBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(d + "/postgres"); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("postgres (/usr/lib/postgresql/*/bin) %w", ErrMissing)
}

func pgMajor(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func startPostgres(bin, psql string) (*Server, error) {
	dir, err := os.MkdirTemp("", "ironic-sqltest-postgres-")
	if err != nil {
		return nil, err
	}
	s := &Server{Kind: "postgresql", Dir: dir, Password: newPassword()}
	ok := false
	defer func() {
		if !ok {
			s.Stop()
		}
	}()
	var cred *syscall.SysProcAttr
	if os.Geteuid() == 0 {
		if cred, err = postgresUser(dir); err != nil {
			return nil, err
		}
	}
	initdb := exec.Command(bin+"/initdb", "-D", dir+"/data", "-U", "postgres",
		"--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
		"--locale=C.UTF-8", "--no-sync")
	initdb.SysProcAttr = cred
	if _, err := run(initdb, 5*time.Minute); err != nil {
		return nil, err
	}
	if s.Port, err = freePort(); err != nil {
		return nil, err
	}
	server := exec.Command(bin+"/postgres", "-D", dir+"/data", "-p", itoa(s.Port),
		"-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
		"-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	if cred != nil {
		server.SysProcAttr = &syscall.SysProcAttr{Credential: cred.Credential}
	}
	if err := s.launch(server, "postgres.log"); err != nil {
		return nil, err
	}
	s.admin = func(sql, database string) ([]byte, error) {
		if database == "" {
			database = "postgres"
		}
		return run(exec.Command(psql, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-h", dir,
			"-p", itoa(s.Port), "-U", "postgres", "-d", database, "-c", sql), 2*time.Minute)
	}
	if err := s.connected("postgres.log"); err != nil {
		return nil, err
	}
	if err := s.Exec("", fmt.Sprintf("CREATE ROLE ironic LOGIN CREATEDB PASSWORD '%s'", s.Password)); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// postgresUser hands dir to the "postgres" user and returns the process
// attributes that run a command as it.
func postgresUser(dir string) (*syscall.SysProcAttr, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres user of Debian's postgresql package: %v (%w)", err, ErrMissing)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}, nil
}
