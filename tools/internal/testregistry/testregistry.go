// Package testregistry runs a real registry for tests: Debian's
// docker-registry (the CNCF distribution registry) on 127.0.0.1 with a
// temporary config and storage, optionally behind htpasswd basic auth.
// It is stopped when the test ends.
package testregistry

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Options configure Start.
type Options struct {
	// User and Password, if set, turn on htpasswd (bcrypt) basic auth.
	User, Password string
}

// Registry is a running docker-registry.
type Registry struct {
	// Host is 127.0.0.1:PORT.
	Host string
	// Dir holds the config, htpasswd and storage.
	Dir string

	bin, config string
	mu          sync.Mutex
	cmd         *exec.Cmd
	done        chan struct{}
	log         *bytes.Buffer
}

// Require returns the path of tool, or ends the test: with CI=true a
// missing tool fails it, elsewhere it is skipped.
func Require(t testing.TB, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required (install it: see .ci/run): %v", tool, err)
		}
		t.Skipf("%s not installed: %v", tool, err)
	}
	return p
}

// Start starts a registry and registers its stop with t.Cleanup.
func Start(t testing.TB, opts Options) *Registry {
	t.Helper()
	bin := Require(t, "docker-registry")
	dir := t.TempDir()
	auth := ""
	if opts.User != "" {
		htpasswd := Require(t, "htpasswd")
		out, err := exec.Command(htpasswd, "-Bbn", opts.User, opts.Password).Output()
		if err != nil {
			t.Fatalf("htpasswd: %v", err)
		}
		p := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(p, out, 0o600); err != nil {
			t.Fatal(err)
		}
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: testregistry\n    path: %s\n", p)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		host := "127.0.0.1:" + strconv.Itoa(port)
		config := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: testregistry-not-a-secret
%s`, filepath.Join(dir, "storage"), host, auth)
		cfgPath := filepath.Join(dir, "config.yml")
		if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
		r := &Registry{Host: host, Dir: dir, bin: bin, config: cfgPath}
		if err := r.start(); err != nil {
			t.Fatal(err)
		}
		if lastErr = r.waitReady(10 * time.Second); lastErr == nil {
			t.Cleanup(r.Stop)
			return r
		}
		r.Stop()
	}
	t.Fatalf("docker-registry did not start: %v", lastErr)
	return nil
}

func (r *Registry) start() error {
	r.done = make(chan struct{})
	r.log = &bytes.Buffer{}
	r.cmd = exec.Command(r.bin, "serve", r.config)
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	if err := r.cmd.Start(); err != nil {
		return fmt.Errorf("starting docker-registry: %w", err)
	}
	cmd, done := r.cmd, r.done
	go func() { cmd.Wait(); close(done) }()
	return nil
}

// Restart starts a stopped (or killed) registry again on the same address
// and storage, to look at what a dead registry had stored.
func (r *Registry) Restart(t testing.TB) {
	t.Helper()
	r.Stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.start(); err != nil {
		t.Fatal(err)
	}
	if err := r.waitReady(10 * time.Second); err != nil {
		t.Fatal(err)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls /v2/ until the registry answers (200, or 401 with auth).
func (r *Registry) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-r.done:
			return fmt.Errorf("docker-registry exited: %s", r.log.String())
		default:
		}
		resp, err := client.Get("http://" + r.Host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no answer on %s after %v: %s", r.Host, limit, r.log.String())
}

// Stop kills the registry (SIGKILL: no chance to finish anything) and
// waits for it to exit. It is safe to call more than once.
func (r *Registry) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.done:
		return
	default:
	}
	r.cmd.Process.Kill()
	<-r.done
}
