package etcdtest

import (
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// Proxy is a TCP proxy in front of an etcd member that a test can cut:
// Block drops every connection and refuses new ones until Unblock, as a
// network partition between the clients behind it and the member would.
type Proxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	blocked bool
	from    string              // refuse connections whose request head contains this
	conns   map[net.Conn]string // open connection -> the head it started with
	wg      sync.WaitGroup
}

// NewProxy listens on a free loopback port and forwards to target
// ("host:port").
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]string{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Endpoint is the address clients dial instead of the member's.
func (p *Proxy) Endpoint() string { return "http://" + p.ln.Addr().String() }

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.connect(c)
	}
}

// connect sniffs the start of the connection (an HTTP request head, for
// etcd's peer traffic) so BlockFrom can tell who dialed, then pipes it.
func (p *Proxy) connect(c net.Conn) {
	defer p.wg.Done()
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 4096)
	n, _ := c.Read(buf)
	c.SetReadDeadline(time.Time{})
	head := string(buf[:n])
	p.mu.Lock()
	if p.blocked || (p.from != "" && strings.Contains(head, p.from)) {
		p.mu.Unlock()
		c.Close()
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c], p.conns[up] = head, head
	p.mu.Unlock()
	if _, err := up.Write(buf[:n]); err != nil {
		c.Close()
		up.Close()
	}
	p.wg.Add(2)
	go p.pipe(c, up)
	go p.pipe(up, c)
}

func (p *Proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	io.Copy(dst, src)
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// Block cuts every open connection and refuses new ones.
func (p *Proxy) Block() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocked = true
	for c := range p.conns {
		c.Close()
	}
}

// BlockFrom cuts, and refuses from now on, the connections whose first
// bytes contain marker — for etcd peer traffic, the dialing member's
// "X-Server-From: <member id>" header — so one member can be cut off
// from a peer while the others still reach it.
func (p *Proxy) BlockFrom(marker string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.from = marker
	for c, head := range p.conns {
		if strings.Contains(head, marker) {
			c.Close()
		}
	}
}

// Unblock lets every connection through again.
func (p *Proxy) Unblock() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocked, p.from = false, ""
}

// Close stops the proxy and waits for its goroutines.
func (p *Proxy) Close() {
	p.ln.Close()
	p.Block()
	p.wg.Wait()
}
