package testregistry

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Misbehavior is what a Fake registry does wrong. The zero value is a
// registry that works (enough of the distribution API for a push and a
// pull).
type Misbehavior struct {
	// HangPing: GET /v2/ never answers.
	HangPing bool
	// HangUpload: a blob upload (PATCH or PUT of an upload) never answers.
	HangUpload bool
	// HangBlobRead: GET of a blob sends a few bytes of it, then stalls.
	HangBlobRead bool
	// UploadLocation, if set, is the Location the start of a blob upload
	// answers with: a URL on another host.
	UploadLocation string
	// RedirectBlobsTo, if set, is a URL prefix GET of a blob is redirected
	// to (307), the blob's path appended.
	RedirectBlobsTo string
	// Realm, if set, makes GET /v2/ answer 401 with a bearer challenge
	// naming this token realm.
	Realm string
	// LieOnHead: HEAD of a blob it does not have answers 200 with
	// Content-Length 1.
	LieOnHead bool
	// OtherManifest: GET of a manifest by digest answers other bytes.
	OtherManifest bool
	// DropAll: every connection is closed without an answer.
	DropAll bool
}

// Fake is an in-memory registry on 127.0.0.1 that misbehaves as told. It
// holds at most 64 MiB per blob and is closed, with every stalled request
// released, when the test ends.
type Fake struct {
	// Host is 127.0.0.1:PORT.
	Host string

	mis       Misbehavior
	srv       *httptest.Server
	release   chan struct{}
	mu        sync.Mutex
	blobs     map[string][]byte
	uploads   map[string]*bytes.Buffer
	manifests map[string]fakeManifest
	requests  []string
	nextID    int
}

type fakeManifest struct {
	mediaType string
	body      []byte
}

// StartFake starts a fake registry.
func StartFake(t testing.TB, mis Misbehavior) *Fake {
	t.Helper()
	f := &Fake{mis: mis, release: make(chan struct{}), blobs: map[string][]byte{}, uploads: map[string]*bytes.Buffer{}, manifests: map[string]fakeManifest{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.Host = strings.TrimPrefix(f.srv.URL, "http://")
	// Cleanups run last first: release the stalled handlers, then close.
	t.Cleanup(f.srv.Close)
	t.Cleanup(func() { close(f.release) })
	return f
}

// Misbehave changes what the registry does wrong from now on (e.g. once
// an image was pushed to it behaving).
func (f *Fake) Misbehave(m Misbehavior) {
	f.mu.Lock()
	f.mis = m
	f.mu.Unlock()
}

// Requests lists "METHOD PATH" of every request received.
func (f *Fake) Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

// HasBlob reports whether the registry holds a blob.
func (f *Fake) HasBlob(digest string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.blobs[digest]
	return ok
}

func (f *Fake) stall(r *http.Request) {
	select {
	case <-f.release:
	case <-r.Context().Done():
	}
}

var (
	blobPath     = regexp.MustCompile(`^/v2/(.+)/blobs/(sha256:[0-9a-f]{64})$`)
	uploadStart  = regexp.MustCompile(`^/v2/(.+)/blobs/uploads/$`)
	uploadPath   = regexp.MustCompile(`^/v2/(.+)/blobs/uploads/([0-9]+)$`)
	manifestPath = regexp.MustCompile(`^/v2/(.+)/manifests/([^/]+)$`)
)

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	mis := f.mis
	f.mu.Unlock()
	if mis.DropAll {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
	}
	p := r.URL.Path
	switch {
	case p == "/v2/" || p == "/v2":
		if mis.HangPing {
			f.stall(r)
			return
		}
		if mis.Realm != "" {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q,service="fake"`, mis.Realm))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	case blobPath.MatchString(p):
		f.blob(w, r, mis, blobPath.FindStringSubmatch(p)[2])
	case uploadStart.MatchString(p) && r.Method == http.MethodPost:
		f.mu.Lock()
		f.nextID++
		id := strconv.Itoa(f.nextID)
		f.uploads[id] = &bytes.Buffer{}
		f.mu.Unlock()
		loc := p + id
		if mis.UploadLocation != "" {
			loc = mis.UploadLocation + loc
		}
		w.Header().Set("Location", loc)
		w.Header().Set("Docker-Upload-UUID", id)
		w.WriteHeader(http.StatusAccepted)
	case uploadPath.MatchString(p):
		f.upload(w, r, mis, uploadPath.FindStringSubmatch(p)[2])
	case manifestPath.MatchString(p):
		f.manifest(w, r, mis, manifestPath.FindStringSubmatch(p)[2])
	default:
		http.NotFound(w, r)
	}
}

func (f *Fake) blob(w http.ResponseWriter, r *http.Request, mis Misbehavior, digest string) {
	f.mu.Lock()
	b, ok := f.blobs[digest]
	f.mu.Unlock()
	if !ok {
		if r.Method == http.MethodHead && mis.LieOnHead {
			w.Header().Set("Content-Length", "1")
			w.Header().Set("Docker-Content-Digest", digest)
			w.WriteHeader(http.StatusOK)
			return
		}
		http.NotFound(w, r)
		return
	}
	if r.Method == http.MethodGet && mis.RedirectBlobsTo != "" {
		http.Redirect(w, r, mis.RedirectBlobsTo+r.URL.Path, http.StatusTemporaryRedirect)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("Docker-Content-Digest", digest)
	w.Header().Set("Content-Type", "application/octet-stream")
	if r.Method == http.MethodHead {
		return
	}
	if mis.HangBlobRead {
		w.Write(b[:min(len(b), 16)])
		w.(http.Flusher).Flush()
		f.stall(r)
		return
	}
	w.Write(b)
}

func (f *Fake) upload(w http.ResponseWriter, r *http.Request, mis Misbehavior, id string) {
	if mis.HangUpload {
		io.CopyN(io.Discard, r.Body, 1)
		f.stall(r)
		return
	}
	f.mu.Lock()
	buf := f.uploads[id]
	f.mu.Unlock()
	if buf == nil {
		http.NotFound(w, r)
		return
	}
	if _, err := io.Copy(buf, io.LimitReader(r.Body, 64<<20)); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	switch r.Method {
	case http.MethodPatch:
		w.Header().Set("Location", r.URL.Path)
		w.Header().Set("Range", fmt.Sprintf("0-%d", max(buf.Len()-1, 0)))
		w.WriteHeader(http.StatusAccepted)
	case http.MethodPut:
		digest := r.URL.Query().Get("digest")
		sum := sha256.Sum256(buf.Bytes())
		if got := "sha256:" + hex.EncodeToString(sum[:]); got != digest {
			http.Error(w, "digest mismatch", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.blobs[digest] = append([]byte(nil), buf.Bytes()...)
		delete(f.uploads, id)
		f.mu.Unlock()
		w.Header().Set("Docker-Content-Digest", digest)
		w.WriteHeader(http.StatusCreated)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func (f *Fake) manifest(w http.ResponseWriter, r *http.Request, mis Misbehavior, ref string) {
	switch r.Method {
	case http.MethodPut:
		b, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sum := sha256.Sum256(b)
		digest := "sha256:" + hex.EncodeToString(sum[:])
		m := fakeManifest{mediaType: r.Header.Get("Content-Type"), body: b}
		f.mu.Lock()
		f.manifests[ref], f.manifests[digest] = m, m
		f.mu.Unlock()
		w.Header().Set("Docker-Content-Digest", digest)
		w.WriteHeader(http.StatusCreated)
	case http.MethodGet, http.MethodHead:
		f.mu.Lock()
		m, ok := f.manifests[ref]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		body := m.body
		sum := sha256.Sum256(body)
		if mis.OtherManifest && r.Method == http.MethodGet {
			body = bytes.Replace(body, []byte(`"schemaVersion":2`), []byte(`"schemaVersion":2 `), 1)
		}
		w.Header().Set("Content-Type", m.mediaType)
		w.Header().Set("Docker-Content-Digest", "sha256:"+hex.EncodeToString(sum[:]))
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodGet {
			w.Write(body)
		}
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

// Sink is a server on another port of 127.0.0.1 (so another host) that
// records what reaches it, to show that nothing does.
type Sink struct {
	Host string
	URL  string
	mu   sync.Mutex
	seen []string
}

// StartSink starts a Sink; it answers 404 to everything.
func StartSink(t testing.TB) *Sink {
	t.Helper()
	s := &Sink{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, fmt.Sprintf("%s %s Authorization=%q", r.Method, r.URL.Path, r.Header.Get("Authorization")))
		s.mu.Unlock()
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	s.Host = strings.TrimPrefix(srv.URL, "http://")
	return s
}

// Seen lists "METHOD PATH Authorization=..." of every request received.
func (s *Sink) Seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}
