package sqltest

import (
	"fmt"
	"os"
	"os/exec"
	"time"
)

// StartMariaDBServer initialises a MariaDB data dir in a new temp dir
// (mariadb-install-db) and starts mariadbd on a free loopback port with its
// socket in that dir, then creates the user "ironic" with a random password
// and every privilege. Stop kills it and removes the dir.
func StartMariaDBServer() (*Server, error) {
	mariadbd, err := lookPath("mariadbd", "/usr/sbin")
	if err != nil {
		return nil, err
	}
	installDB, err := lookPath("mariadb-install-db", "/usr/bin")
	if err != nil {
		return nil, err
	}
	client, err := lookPath("mariadb", "/usr/bin")
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // the free port may be taken first
		s, err := startMariaDB(mariadbd, installDB, client)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func startMariaDB(mariadbd, installDB, client string) (*Server, error) {
	dir, err := os.MkdirTemp("", "ironic-sqltest-mariadb-")
	if err != nil {
		return nil, err
	}
	s := &Server{Kind: "mysql", Dir: dir, Password: newPassword()}
	ok := false
	defer func() {
		if !ok {
			s.Stop()
		}
	}()
	asRoot := []string{}
	if os.Geteuid() == 0 {
		asRoot = []string{"--user=root"} // mariadbd refuses root unless told
	}
	install := exec.Command(installDB, append([]string{"--no-defaults",
		"--datadir=" + dir + "/data", "--auth-root-authentication-method=socket",
		"--skip-test-db"}, asRoot...)...)
	if _, err := run(install, 5*time.Minute); err != nil {
		return nil, err
	}
	if s.Port, err = freePort(); err != nil {
		return nil, err
	}
	sock := dir + "/mysql.sock"
	args := append([]string{"--no-defaults", "--datadir=" + dir + "/data",
		"--port=" + itoa(s.Port), "--bind-address=127.0.0.1", "--socket=" + sock,
		"--pid-file=" + dir + "/mariadbd.pid", "--skip-name-resolve",
		"--innodb-buffer-pool-size=256M", "--innodb-flush-log-at-trx-commit=2",
		"--max-allowed-packet=64M"}, asRoot...)
	if err := s.launch(exec.Command(mariadbd, args...), "mariadbd.log"); err != nil {
		return nil, err
	}
	s.admin = func(sql, database string) ([]byte, error) {
		args := []string{"--no-defaults", "--socket=" + sock, "--user=root", "--batch", "--skip-column-names"}
		if database != "" {
			args = append(args, "--database="+database)
		}
		return run(exec.Command(client, append(args, "--execute="+sql)...), 2*time.Minute)
	}
	if err := s.connected("mariadbd.log"); err != nil {
		return nil, err
	}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		user := fmt.Sprintf("'ironic'@'%s'", host)
		if err := s.Exec("", fmt.Sprintf("CREATE USER %s IDENTIFIED BY '%s'; GRANT ALL PRIVILEGES ON *.* TO %s WITH GRANT OPTION",
			user, s.Password, user)); err != nil {
			return nil, err
		}
	}
	ok = true
	return s, nil
}
