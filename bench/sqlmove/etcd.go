package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// etcd is one `ironic-etcd serve` process of ours.
type etcd struct {
	cmd      *exec.Cmd
	endpoint string
}

// startEtcd runs `binary serve` with its data in dir on free loopback
// ports and waits until it answers.
func startEtcd(binary, dir string) (*etcd, error) {
	client, peer := freePort(), freePort()
	e := &etcd{endpoint: fmt.Sprintf("127.0.0.1:%d", client)}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, err
	}
	e.cmd = exec.Command(binary, "serve", "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", "http://"+e.endpoint,
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peer))
	e.cmd.Stdout, e.cmd.Stderr = logf, logf
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := e.cmd.Start(); err != nil {
		return nil, err
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{e.endpoint}, DialTimeout: 5 * time.Second})
	if err != nil {
		e.stop()
		return nil, err
	}
	defer cli.Close()
	for deadline := time.Now().Add(2 * time.Minute); ; {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err = cli.Get(ctx, "health")
		cancel()
		if err == nil {
			return e, nil
		}
		if time.Now().After(deadline) {
			e.stop()
			return nil, fmt.Errorf("ironic-etcd serve not ready: %v (log in %s)", err, logf.Name())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// cli is `binary args... --endpoints <ours>`.
func (e *etcd) cli(binary string, args ...string) *exec.Cmd {
	return exec.Command(binary, append(args, "--endpoints", e.endpoint)...)
}

func (e *etcd) stop() {
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	_ = e.cmd.Wait()
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
