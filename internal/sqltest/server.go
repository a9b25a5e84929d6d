// Package sqltest runs real SQL servers for tests and benchmarks: Debian's
// MariaDB and PostgreSQL started on loopback in a temp dir, and SQLite
// files; Ironic's own tooling makes their schema (ironic-dbsync
// create_schema) and fills them (Ironic's Connection, through
// python/tools/ironic_sql_fixture.py), and Dump reads every table back in a
// canonical form that Diff compares row by row.
package sqltest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// startTimeout bounds a server's start: 2 shared cores can be slow.
const startTimeout = 3 * time.Minute

// ErrMissing marks a server binary that is not installed.
var ErrMissing = errors.New("not installed: run `make deps-sql`")

// Server is one SQL server process of ours, listening on 127.0.0.1:Port,
// with its data and socket in Dir. Each database it makes is reached as the
// user "ironic" with Password.
type Server struct {
	Kind     string // "mysql" or "postgresql"
	Dir      string
	Port     int
	Password string
	Version  string // the server's SELECT version()

	cmd    *exec.Cmd
	exited chan struct{}
	// admin runs sql as the superuser in database ("" : none or the
	// default) and returns the client's output (tab-separated rows).
	admin func(sql string, database string) ([]byte, error)

	mu      sync.Mutex
	created int
}

// CreateDatabase makes an empty database owned by "ironic" and returns its
// URL in Ironic's [database] connection form. The first is named "ironic",
// later ones "ironic_2", "ironic_3"...
func (s *Server) CreateDatabase() (string, error) {
	s.mu.Lock()
	s.created++
	name := "ironic"
	if s.created > 1 {
		name = fmt.Sprintf("ironic_%d", s.created)
	}
	s.mu.Unlock()
	var err error
	if s.Kind == "mysql" {
		_, err = s.admin("CREATE DATABASE "+name+" CHARACTER SET utf8mb4", "")
	} else {
		_, err = s.admin("CREATE DATABASE "+name+" OWNER ironic", "")
	}
	if err != nil {
		return "", err
	}
	return s.URL(name), nil
}

// URL is the connection URL of database name, as Ironic spells it.
func (s *Server) URL(name string) string {
	if s.Kind == "mysql" {
		return fmt.Sprintf("mysql+pymysql://ironic:%s@127.0.0.1:%d/%s?charset=utf8mb4", s.Password, s.Port, name)
	}
	return fmt.Sprintf("postgresql+psycopg2://ironic:%s@127.0.0.1:%d/%s", s.Password, s.Port, name)
}

// Exec runs sql as the server's superuser (over its unix socket) in
// database name: for tests that must write what Ironic never would.
func (s *Server) Exec(name, sql string) error {
	_, err := s.admin(sql, name)
	return err
}

// Query runs sql as Exec does and returns its rows as the command-line
// client prints them: tab-separated, one a line, no header.
func (s *Server) Query(name, sql string) (string, error) {
	out, err := s.admin(sql, name)
	return string(out), err
}

// DropDatabase removes database name.
func (s *Server) DropDatabase(name string) error {
	sql := "DROP DATABASE IF EXISTS " + name
	if s.Kind == "postgresql" {
		sql += " WITH (FORCE)" // closes what a failed test left connected
	}
	return s.Exec("", sql)
}

// Stop kills the server and removes its dir.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	}
	_ = os.RemoveAll(s.Dir)
}

// launch starts the server command and reaps it in the background; the
// child dies with us (Pdeathsig) should a test binary exit without Stop.
func (s *Server) launch(cmd *exec.Cmd, logName string) error {
	logf, err := os.Create(s.Dir + "/" + logName)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(s.exited) }()
	return nil
}

// waitReady polls ready until it succeeds, the server exits, or
// startTimeout passes; the error then carries the server's log tail.
func (s *Server) waitReady(ready func() error, logName string) error {
	deadline := time.Now().Add(startTimeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("%s server exited during start: %v\n%s", s.Kind, err, tail(s.Dir+"/"+logName))
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s server not ready after %v: %v\n%s", s.Kind, startTimeout, err, tail(s.Dir+"/"+logName))
		}
	}
}

// connected waits for the server, then records its version.
func (s *Server) connected(logName string) error {
	err := s.waitReady(func() error {
		out, err := s.admin("SELECT version()", "")
		s.Version = strings.TrimSpace(string(out))
		return err
	}, logName)
	return err
}

// run runs a command to completion with a timeout and returns its
// stdout; a failure's error carries both stdout and stderr.
func run(cmd *exec.Cmd, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c := exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
	c.Env, c.Dir, c.SysProcAttr, c.Stdin = cmd.Env, cmd.Dir, cmd.SysProcAttr, cmd.Stdin
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	if err := c.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("%s: %v\n%s%s", c.String(), err, out.String(), errOut.String())
	}
	return out.Bytes(), nil
}

// lookPath finds a server binary in PATH or the given dirs.
func lookPath(name string, dirs ...string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range dirs {
		if st, err := os.Stat(d + "/" + name); err == nil && !st.IsDir() {
			return d + "/" + name, nil
		}
	}
	return "", fmt.Errorf("%s %w", name, ErrMissing)
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before the server binds it: the start then fails and is retried.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func newPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

func itoa(n int) string { return strconv.Itoa(n) }
