package testregistry

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy forwards TCP connections from 127.0.0.1 to a target and can cut
// them, to simulate a registry (or network) dying in the middle of a push.
type Proxy struct {
	// Host is the proxy's 127.0.0.1:PORT.
	Host string

	target  string
	opts    ProxyOptions
	drops   atomic.Int64 // connections still to cut; negative: all
	dropped atomic.Int64
	l       net.Listener
	wg      sync.WaitGroup
	mu      sync.Mutex
	open    map[net.Conn]bool
	closed  bool
}

// ProxyOptions say when the proxy cuts connections.
type ProxyOptions struct {
	// DropAfter: a connection that has carried more than this many bytes
	// from the client is cut (both directions closed)...
	DropAfter int64
	// ...for the first Drops connections that get that far; Drops < 0
	// cuts every one.
	Drops int64
	// OnDrop, if set, runs (once per cut, before closing) when a
	// connection is cut, e.g. to kill the registry itself.
	OnDrop func()
}

// StartProxy proxies to target. The proxy is closed when the test ends.
func StartProxy(t testing.TB, target string, opts ProxyOptions) *Proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Host: l.Addr().String(), target: target, opts: opts, l: l, open: map[net.Conn]bool{}}
	p.drops.Store(opts.Drops)
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.Close)
	return p
}

// Dropped is how many connections the proxy cut.
func (p *Proxy) Dropped() int64 { return p.dropped.Load() }

// Close stops accepting, cuts the open connections (clients keep idle
// ones for a long time) and waits for their goroutines to end.
func (p *Proxy) Close() {
	p.l.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.open {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) track(c net.Conn, add bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if add {
		p.open[c] = true
		if p.closed {
			c.Close()
		}
	} else {
		delete(p.open, c)
	}
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		conns.Add(1)
		p.track(c, true)
		go func() {
			defer conns.Done()
			p.handle(c)
		}()
	}
}

func (p *Proxy) handle(client net.Conn) {
	defer p.track(client, false)
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	done := make(chan struct{}, 2)
	go func() {
		io.Copy(client, server)
		client.Close()
		done <- struct{}{}
	}()
	go func() {
		p.upstream(server, client)
		server.Close()
		client.Close()
		done <- struct{}{}
	}()
	<-done
	<-done
}

// upstream copies client bytes to the server and cuts the connection once
// more than dropAfter bytes went through, while cuts remain.
func (p *Proxy) upstream(server, client net.Conn) {
	buf := make([]byte, 32<<10)
	var n int64
	for {
		k, err := client.Read(buf)
		if k > 0 {
			n += int64(k)
			if n > p.opts.DropAfter && p.take() {
				p.dropped.Add(1)
				if p.opts.OnDrop != nil {
					p.opts.OnDrop()
				}
				return
			}
			if _, werr := server.Write(buf[:k]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *Proxy) take() bool {
	for {
		d := p.drops.Load()
		if d < 0 {
			return true
		}
		if d == 0 {
			return false
		}
		if p.drops.CompareAndSwap(d, d-1) {
			return true
		}
	}
}
