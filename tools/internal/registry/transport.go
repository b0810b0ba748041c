package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

// Network limits. A registry that stops answering must make a push or a
// remote diff fail, not hang: connecting and the TLS handshake are bounded,
// and every request fails once it made no progress for the idle timeout
// (--timeout): no byte of the request body taken, no response header, or
// no byte of the response body while it is being read. Failed requests are
// retried with the push's bounded backoff.
const (
	DefaultTimeout      = 60 * time.Second
	ConnectTimeout      = 30 * time.Second
	TLSHandshakeTimeout = 30 * time.Second
)

// TransportOptions configure NewTransport.
type TransportOptions struct {
	// Timeout is the per-request idle timeout; 0 means DefaultTimeout.
	Timeout time.Duration
	// Insecure allows plain HTTP to any host (--insecure). Without it only
	// the registry itself may be reached over HTTP, and only when it is a
	// loopback or private address (go-containerregistry's rule).
	Insecure bool
	// Base is the transport that does the requests; nil means a new one
	// with ConnectTimeout and TLSHandshakeTimeout.
	Base http.RoundTripper
}

// NewTransport returns the transport for talking to reg. Every request
// goes through, innermost first: the idle timeout, then the host policy:
//   - no plain HTTP to a host other than reg (a redirect, a blob upload
//     Location or a token realm pointing elsewhere) unless Insecure, nor to
//     reg itself unless reg is reached over HTTP anyway;
//   - credentials only to reg and, for the token exchange, to the token
//     realm reg itself named in a 401 response, over HTTPS: an
//     Authorization header on a request to any other host (or to the
//     realm over plain HTTP, even with Insecure) is removed.
func NewTransport(reg name.Registry, opts TransportOptions) http.RoundTripper {
	base := opts.Base
	if base == nil {
		base = newBaseTransport()
	}
	idle := opts.Timeout
	if idle <= 0 {
		idle = DefaultTimeout
	}
	return &hostPolicy{
		inner:    &idleTimeout{inner: base, idle: idle},
		registry: reg,
		insecure: opts.Insecure,
		realms:   map[string]bool{},
	}
}

func newBaseTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = TLSHandshakeTimeout
	return t
}

// TimeoutError says that a request made no progress for the idle timeout.
type TimeoutError struct {
	Method, URL string
	Idle        time.Duration
	// Server names what stopped answering ("registry" when empty).
	Server string
}

func (e *TimeoutError) Error() string {
	server := e.Server
	if server == "" {
		server = "registry"
	}
	return fmt.Sprintf("%s %s: no progress for %s: the %s stopped answering (the limit is --timeout)", e.Method, e.URL, e.Idle, server)
}

// Timeout and Temporary make the request retried (with bounded backoff).
func (e *TimeoutError) Timeout() bool   { return true }
func (e *TimeoutError) Temporary() bool { return true }

// PolicyError says that a request was refused by the host policy.
type PolicyError struct {
	Method, URL, Registry, Reason string
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("refusing %s %s: %s", e.Method, e.URL, e.Reason)
}

// redact drops the query (upload state, signed URL tokens) from u.
func redact(u *url.URL) string {
	c := *u
	c.RawQuery, c.Fragment, c.User = "", "", nil
	return c.String()
}

// NewIdleTimeoutTransport returns a transport with the connect and TLS
// handshake limits whose requests fail once they made no progress for idle
// (0 means DefaultTimeout), for servers other than registries (a Debian
// mirror); server names them in the error.
func NewIdleTimeoutTransport(idle time.Duration, server string) http.RoundTripper {
	if idle <= 0 {
		idle = DefaultTimeout
	}
	return &idleTimeout{inner: newBaseTransport(), idle: idle, server: server}
}

// idleTimeout fails a request that makes no progress for idle.
type idleTimeout struct {
	inner  http.RoundTripper
	idle   time.Duration
	server string
}

func (t *idleTimeout) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	terr := &TimeoutError{Method: req.Method, URL: redact(req.URL), Idle: t.idle, Server: t.server}
	w := &watchdog{idle: t.idle}
	w.timer = time.AfterFunc(t.idle, func() { cancel(terr) })
	out := req.Clone(ctx)
	if req.Body != nil {
		out.Body = &progressBody{rc: req.Body, w: w}
		if req.GetBody != nil {
			out.GetBody = func() (io.ReadCloser, error) {
				b, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				return &progressBody{rc: b, w: w}, nil
			}
		}
	}
	resp, err := t.inner.RoundTrip(out)
	w.stop()
	if err != nil {
		cancel(nil)
		if errors.Is(context.Cause(ctx), terr) {
			return nil, terr
		}
		return nil, err
	}
	resp.Body = &idleBody{rc: resp.Body, w: w, ctx: ctx, cancel: cancel, terr: terr}
	return resp, nil
}

// watchdog is the timer of one request: running while the transport
// waits on the network, reset by progress, stopped while the caller holds
// the response.
type watchdog struct {
	mu    sync.Mutex
	idle  time.Duration
	timer *time.Timer
}

func (w *watchdog) reset() { w.mu.Lock(); w.timer.Reset(w.idle); w.mu.Unlock() }
func (w *watchdog) stop()  { w.mu.Lock(); w.timer.Stop(); w.mu.Unlock() }

type progressBody struct {
	rc io.ReadCloser
	w  *watchdog
}

func (b *progressBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.w.reset()
	}
	return n, err
}

func (b *progressBody) Close() error { return b.rc.Close() }

type idleBody struct {
	rc     io.ReadCloser
	w      *watchdog
	ctx    context.Context
	cancel context.CancelCauseFunc
	terr   *TimeoutError
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.w.reset()
	n, err := b.rc.Read(p)
	b.w.stop()
	if err != nil && err != io.EOF && errors.Is(context.Cause(b.ctx), b.terr) {
		return n, b.terr
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.w.stop()
	err := b.rc.Close()
	b.cancel(nil)
	return err
}

// hostPolicy enforces which hosts may be reached how, and with which
// credentials (see NewTransport).
type hostPolicy struct {
	inner    http.RoundTripper
	registry name.Registry
	insecure bool
	mu       sync.Mutex
	realms   map[string]bool // canonical hosts named as token realm by the registry
}

var realmRE = regexp.MustCompile(`(?i)\brealm\s*=\s*"([^"]*)"`)

func (p *hostPolicy) RoundTrip(req *http.Request) (*http.Response, error) {
	host := canonicalHost(req.URL.Host, req.URL.Scheme)
	own := host == canonicalHost(p.registry.RegistryStr(), req.URL.Scheme)
	refuse := func(reason string, a ...any) (*http.Response, error) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &PolicyError{Method: req.Method, URL: redact(req.URL), Registry: p.registry.RegistryStr(), Reason: fmt.Sprintf(reason, a...)}
	}
	switch req.URL.Scheme {
	case "https":
	case "http":
		switch {
		case p.insecure:
		case own && p.registry.Scheme() == "http":
			// A loopback or private registry: plain HTTP is its scheme.
		case own:
			return refuse("plain HTTP to the registry %s, which is reached over HTTPS; pass --insecure to allow it", p.registry.RegistryStr())
		default:
			return refuse("plain HTTP to %s, which is not the registry %s (a redirect, an upload location or a token realm it named); pass --insecure to allow it", req.URL.Host, p.registry.RegistryStr())
		}
	default:
		return refuse("unsupported scheme %q", req.URL.Scheme)
	}
	if !own && req.Header.Get("Authorization") != "" {
		p.mu.Lock()
		realm := p.realms[host]
		p.mu.Unlock()
		if !realm || req.URL.Scheme != "https" {
			// Credentials belong to the registry (and its token realm).
			req = req.Clone(req.Context())
			req.Header.Del("Authorization")
		}
	}
	resp, err := p.inner.RoundTrip(req)
	if err == nil && own && resp.StatusCode == http.StatusUnauthorized {
		for _, h := range resp.Header.Values("WWW-Authenticate") {
			if m := realmRE.FindStringSubmatch(h); m != nil {
				if u, err := url.Parse(m[1]); err == nil && u.Host != "" {
					p.mu.Lock()
					p.realms[canonicalHost(u.Host, u.Scheme)] = true
					p.mu.Unlock()
				}
			}
		}
	}
	return resp, err
}

// canonicalHost lower-cases host and adds the scheme's default port.
func canonicalHost(host, scheme string) string {
	host = strings.ToLower(host)
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	port := 443
	if scheme == "http" {
		port = 80
	}
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return net.JoinHostPort(h, strconv.Itoa(port))
}

// blobHeadCheck verifies, for a push, the size the registry reports for
// every blob it claims to have (HEAD 200): a registry that lies there
// would make the push skip an upload and report success for an image it
// cannot serve.
type blobHeadCheck struct {
	inner http.RoundTripper
	sizes map[string]int64 // digest -> size
}

func (c *blobHeadCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.inner.RoundTrip(req)
	if err != nil || req.Method != http.MethodHead || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	i := strings.LastIndex(req.URL.Path, "/blobs/")
	if i < 0 {
		return resp, nil
	}
	digest := req.URL.Path[i+len("/blobs/"):]
	want, ok := c.sizes[digest]
	if !ok {
		return resp, nil
	}
	got := resp.ContentLength
	if d := resp.Header.Get("Docker-Content-Digest"); d != "" && d != digest {
		resp.Body.Close()
		return nil, &PolicyError{Method: req.Method, URL: redact(req.URL), Reason: fmt.Sprintf("the registry claims to have blob %s but names it %s; refusing to skip its upload", digest, d)}
	}
	if got != want {
		resp.Body.Close()
		return nil, &PolicyError{Method: req.Method, URL: redact(req.URL), Reason: fmt.Sprintf("the registry claims to have blob %s with %d bytes (Content-Length), but it has %d: refusing to skip its upload and report a push it cannot serve", digest, got, want)}
	}
	return resp, nil
}
