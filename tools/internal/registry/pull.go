package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/rules-odp/rules_odp/tools/internal/atomicfile"
	"github.com/rules-odp/rules_odp/tools/internal/budget"
	"github.com/rules-odp/rules_odp/tools/internal/image"
	"github.com/rules-odp/rules_odp/tools/internal/strictjson"
)

// PullOptions configure Pull.
type PullOptions struct {
	// Reference is REGISTRY/REPO@sha256:HEX (a tag before the digest is
	// allowed and ignored); the registry host is required.
	Reference string
	// Platform is the image to take from an index, and the platform the
	// image's config must declare.
	Platform image.Platform
	// Out is the OCI layout directory written (atomically).
	Out string
	// ManifestOnly writes the layout without its layer blobs: Pulled
	// lists them with their URLs for a downloader that verifies them
	// (odp_pull hands them to Bazel's downloader with their sha256).
	ManifestOnly bool
	// Insecure allows plain HTTP to any registry (see NewTransport).
	Insecure bool
	// Keychain supplies credentials; nil means anonymous. With the
	// keychain of NewKeychain, an auth failure names the file the
	// credentials came from, or the files searched.
	Keychain authn.Keychain
	// Timeout is the per-request idle timeout; 0 means DefaultTimeout.
	Timeout time.Duration
	// Backoff of retried requests; nil means DefaultBackoff.
	Backoff *remote.Backoff
	// Transport does the HTTP requests; nil means one with connect and
	// TLS handshake timeouts. The idle timeout and the host policy wrap it.
	Transport http.RoundTripper
}

// PulledBlob is a layer of a pulled image and where the registry serves it.
type PulledBlob struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	URL       string `json:"url"`
}

// Pulled is what Pull wrote.
type Pulled struct {
	// Reference is the pinned reference, as given.
	Reference string `json:"reference"`
	// Repository is REGISTRY/REPO.
	Repository string `json:"repository"`
	// Index is the pinned digest when it named an image index (the
	// layout then names the manifest chosen from it), else "".
	Index string `json:"index,omitempty"`
	// Digest is the digest of the manifest the layout's index.json names:
	// the pinned digest for an image manifest, the chosen platform's for
	// an index.
	Digest string `json:"digest"`
	// Config is the digest of the image's config blob.
	Config string `json:"config"`
	// Platform is what the image's config declares.
	Platform string `json:"platform"`
	// Layout is the directory written.
	Layout string `json:"layout"`
	// LayersMissing: the layout lacks the layer blobs (ManifestOnly).
	LayersMissing bool         `json:"layersMissing"`
	Layers        []PulledBlob `json:"layers"`
	// Authorization is the Authorization header the registry accepted for
	// a blob request ("" if none was needed), so that another downloader
	// can fetch the layers. It is a credential.
	Authorization string `json:"-"`
}

// Name is REPOSITORY@DIGEST of the manifest the layout names.
func (p *Pulled) Name() string { return p.Repository + "@" + p.Digest }

// AuthError says that the registry refused the request for want of
// (valid) credentials: 401 or 403.
type AuthError struct {
	Registry, Repository string
	Status               int
	// Source is the file the credentials came from; "" means none was
	// found (the request was anonymous).
	Source string
	// Searched are the files consulted, in order.
	Searched []string
	Err      error
}

func (e *AuthError) Error() string {
	status := "refused"
	if e.Status != 0 {
		status = fmt.Sprintf("answered %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Source != "" {
		return fmt.Sprintf("registry %s %s to a pull of %s with the credentials from %s: they are wrong or may not pull it; fix that entry (podman login / docker login %s). Credentials are read from, first match wins: %s",
			e.Registry, status, e.Repository, e.Source, e.Registry, orNone(e.Searched))
	}
	return fmt.Sprintf("registry %s %s to a pull of %s without credentials: none for it in %s; log in (podman login / docker login %s) so that one of those files has them",
		e.Registry, status, e.Repository, orNone(e.Searched), e.Registry)
}

func (e *AuthError) Unwrap() error { return e.Err }

func orNone(files []string) string {
	if len(files) == 0 {
		return "(no file: HOME, XDG_CONFIG_HOME, DOCKER_CONFIG and REGISTRY_AUTH_FILE are unset)"
	}
	return strings.Join(files, ", ")
}

// UnreachableError says that the registry could not be reached at all.
type UnreachableError struct {
	Registry string
	Err      error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("registry %s is unreachable (is it running, and are host and port right?): %v", e.Registry, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// DigestMismatchError says that the registry served other bytes than the
// digest they were asked for by.
type DigestMismatchError struct {
	What, Reference, Want, Got string
}

func (e *DigestMismatchError) Error() string {
	return fmt.Sprintf("registry served other bytes for %s %s: they hash to %s, not %s; the registry does not hold what was pinned (a broken or tampered registry or proxy), so nothing was written",
		e.What, e.Reference, e.Got, e.Want)
}

// NotFoundError says that the registry has no manifest (or blob) with
// the digest asked for.
type NotFoundError struct {
	What, Reference string
	Status          int
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("registry has no %s %s (%d %s): a wrong digest, or the image was deleted; look the digest up again (e.g. skopeo inspect --format '{{.Digest}}' docker://REPOSITORY:TAG)",
		e.What, e.Reference, e.Status, http.StatusText(e.Status))
}

// PlatformError says that the pinned image has nothing for the platform.
type PlatformError struct {
	Reference, Want string
	// Available are the platforms of an index; Have the platform of a
	// single image.
	Available []string
	Have      string
}

func (e *PlatformError) Error() string {
	if e.Have != "" {
		return fmt.Sprintf("%s is an image for %s, not %s: pin the index or the image for %s", e.Reference, e.Have, e.Want, e.Want)
	}
	return fmt.Sprintf("%s has no image for platform %s (it has: %s)", e.Reference, e.Want, strings.Join(e.Available, ", "))
}

// ParsePullReference checks a pinned reference: a registry host, a
// repository and a sha256 digest. A tag alone is refused (it can move); a
// tag before the digest is ignored, as docker and podman do.
func ParsePullReference(ref string, insecure bool) (name.Digest, error) {
	repoPart, digest, ok := strings.Cut(ref, "@")
	if !ok {
		what := "no digest"
		if i := strings.LastIndexByte(ref, '/'); strings.Contains(ref[i+1:], ":") {
			what = "a tag but no digest"
		}
		return name.Digest{}, fmt.Errorf("reference %q has %s: pin the image by digest, REGISTRY/REPOSITORY@sha256:<64 hex> (a tag can move; skopeo inspect --format '{{.Digest}}' docker://%s prints the digest it points to now)", ref, what, ref)
	}
	if err := image.CheckDigest(digest); err != nil {
		return name.Digest{}, fmt.Errorf("reference %q: %w", ref, err)
	}
	repo := repoPart
	if i := strings.LastIndexByte(repo, '/'); i >= 0 {
		if j := strings.IndexByte(repo[i:], ':'); j >= 0 {
			repo = repo[:i+j]
		}
	}
	if _, err := ParseRepository(repo, insecure); err != nil {
		return name.Digest{}, fmt.Errorf("reference %q: %w", ref, err)
	}
	d, err := name.NewDigest(repo+"@"+digest, nameOpts(insecure)...)
	if err != nil {
		return name.Digest{}, fmt.Errorf("reference %q: %w", ref, err)
	}
	return d, nil
}

var manifestAccept = strings.Join([]string{
	image.MediaTypeOCIManifest, image.MediaTypeOCIIndex,
	image.MediaTypeDockerManifest, image.MediaTypeDockerManifestList,
}, ", ")

// Pull writes the image opts.Reference names, for opts.Platform, to an
// OCI layout with one image manifest: the manifest's exact bytes, its
// config and (unless ManifestOnly) every layer blob, each verified against
// its digest and size as it is read, with every read bounded. Nothing is
// written unless all of it verified.
func Pull(ctx context.Context, opts PullOptions) (*Pulled, error) {
	ref, err := ParsePullReference(opts.Reference, opts.Insecure)
	if err != nil {
		return nil, err
	}
	if opts.Platform.OS == "" || opts.Platform.Architecture == "" {
		return nil, errors.New("no platform given: name the platform to pull, e.g. linux/amd64")
	}
	if opts.Out == "" {
		return nil, errors.New("no output directory given")
	}
	p, err := newPuller(ctx, ref, opts)
	if err != nil {
		return nil, err
	}
	pinned := ref.DigestStr()

	raw, mediaType, err := p.manifest(pinned, -1)
	if err != nil {
		return nil, err
	}
	res := &Pulled{Reference: opts.Reference, Repository: ref.Context().Name(), Layout: opts.Out, LayersMissing: opts.ManifestOnly}
	desc := image.Descriptor{MediaType: mediaType, Digest: pinned, Size: int64(len(raw))}
	if image.IsIndexMediaType(mediaType) {
		res.Index = pinned
		desc, err = ChooseManifest(raw, opts.Platform, func(d image.Descriptor) ([]byte, error) {
			b, mt, err := p.manifest(d.Digest, d.Size)
			if err == nil && mt != d.MediaType {
				err = fmt.Errorf("%s: the index lists it as %q, the registry serves %q", p.ref(d.Digest), d.MediaType, mt)
			}
			return b, err
		})
		if err != nil {
			var perr *PlatformError
			if errors.As(err, &perr) {
				perr.Reference = p.ref(pinned)
				return nil, perr
			}
			return nil, fmt.Errorf("%s: %w", p.ref(pinned), err)
		}
		raw, mediaType, err = p.manifest(desc.Digest, desc.Size)
		if err != nil {
			return nil, err
		}
		if mediaType != desc.MediaType {
			return nil, fmt.Errorf("%s: the index lists it as %q, the registry serves %q", p.ref(desc.Digest), desc.MediaType, mediaType)
		}
	} else if !image.IsManifestMediaType(mediaType) {
		return nil, fmt.Errorf("%s: unsupported media type %q (want an image manifest or index)", p.ref(pinned), mediaType)
	}
	m, err := image.ParseManifest(raw)
	if err != nil {
		return nil, fmt.Errorf("parsing manifest %s: %w", p.ref(desc.Digest), err)
	}
	if m.MediaType != "" && m.MediaType != desc.MediaType {
		return nil, fmt.Errorf("manifest %s says mediaType %q but was served as %q", p.ref(desc.Digest), m.MediaType, desc.MediaType)
	}
	if m.Config.Size > budget.ImageJSONBytes {
		return nil, fmt.Errorf("config %s of %s: %w", m.Config.Digest, p.ref(desc.Digest),
			&budget.Error{Budget: "bytes of an image JSON document", Limit: budget.ImageJSONBytes, Got: m.Config.Size})
	}
	for i, l := range m.Layers {
		if err := image.CheckLayerMediaType(l.MediaType); err != nil {
			return nil, fmt.Errorf("%s: layer %d (%s): %w", p.ref(desc.Digest), i+1, l.Digest, err)
		}
	}
	config, err := p.blobBytes(m.Config)
	if err != nil {
		return nil, err
	}
	if err := strictjson.Check(config); err != nil {
		return nil, fmt.Errorf("parsing config %s of %s: %w", m.Config.Digest, p.ref(desc.Digest), err)
	}
	have, err := image.ConfigPlatform(config)
	if err != nil {
		return nil, fmt.Errorf("config %s of %s: %w", m.Config.Digest, p.ref(desc.Digest), err)
	}
	if !opts.Platform.Matches(have) {
		return nil, &PlatformError{Reference: p.ref(desc.Digest), Want: opts.Platform.String(), Have: have.String()}
	}
	res.Digest, res.Config, res.Platform = desc.Digest, m.Config.Digest, have.String()
	scheme, authz := p.capture.get()
	if scheme == "" {
		scheme = ref.Context().Scheme()
	}
	res.Authorization = authz
	res.Layers = []PulledBlob{}
	for _, l := range m.Layers {
		res.Layers = append(res.Layers, PulledBlob{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size,
			URL: fmt.Sprintf("%s://%s/v2/%s/blobs/%s", scheme, ref.Context().RegistryStr(), ref.Context().RepositoryStr(), l.Digest)})
	}

	err = atomicfile.WriteDir(opts.Out, func(tmp string) error {
		w, err := image.NewLayoutWriter(tmp)
		if err != nil {
			return err
		}
		if err := w.PutBytes(desc, raw, p.ref(desc.Digest)); err != nil {
			return err
		}
		if err := w.PutBytes(m.Config, config, p.blobURL(m.Config.Digest)); err != nil {
			return err
		}
		if !opts.ManifestOnly {
			for _, l := range m.Layers {
				if err := p.blobTo(w, l); err != nil {
					return err
				}
			}
		}
		return w.Finish(desc)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ChooseManifest picks from an image index the one image manifest for
// want, as ReadImage does for a layout: indexes it lists are fetched
// (bounded in depth and in descriptors), every manifest must carry a
// platform, and exactly one may match. A *PlatformError lists what the
// index has.
func ChooseManifest(index []byte, want image.Platform, fetch func(image.Descriptor) ([]byte, error)) (image.Descriptor, error) {
	idx, err := image.ParseIndex(index)
	if err != nil {
		return image.Descriptor{}, fmt.Errorf("parsing index: %w", err)
	}
	found, err := image.CollectManifests(idx, "the index", fetch, true)
	if err != nil {
		return image.Descriptor{}, err
	}
	var avail []string
	var chosen *image.Descriptor
	for i := range found {
		d := &found[i]
		if d.Platform == nil {
			return image.Descriptor{}, fmt.Errorf("manifest %s has no platform in the index, so none can be chosen", d.Digest)
		}
		avail = append(avail, d.Platform.String())
		if want.Matches(*d.Platform) {
			if chosen != nil {
				return image.Descriptor{}, fmt.Errorf("platform %s matches both %s (%s) and %s (%s): give the variant", want, chosen.Digest, chosen.Platform, d.Digest, d.Platform)
			}
			chosen = d
		}
	}
	if chosen == nil {
		if len(avail) == 0 {
			avail = []string{"no image manifest at all"}
		}
		return image.Descriptor{}, &PlatformError{Want: want.String(), Available: avail}
	}
	return *chosen, nil
}

// puller does the requests of one pull.
type puller struct {
	ctx      context.Context
	digest   name.Digest
	client   *http.Client
	capture  *authCapture
	source   string
	searched []string
}

func newPuller(ctx context.Context, ref name.Digest, opts PullOptions) (*puller, error) {
	reg := ref.Context().Registry
	p := &puller{ctx: ctx, digest: ref}
	var auth authn.Authenticator = authn.Anonymous
	switch kc := opts.Keychain.(type) {
	case nil:
	case *fileKeychain:
		a, file, err := kc.resolve(ref.Context())
		if err != nil {
			return nil, err
		}
		auth, p.source, p.searched = a, file, AuthFiles(kc.getenv)
	default:
		a, err := kc.Resolve(ref.Context())
		if err != nil {
			return nil, fmt.Errorf("credentials for %s: %w", ref.Context(), err)
		}
		auth = a
	}
	backoff := DefaultBackoff
	if opts.Backoff != nil {
		backoff = *opts.Backoff
	}
	p.capture = &authCapture{inner: NewTransport(reg, TransportOptions{Timeout: opts.Timeout, Insecure: opts.Insecure, Base: opts.Transport}), registry: reg.RegistryStr()}
	rt := transport.NewRetry(p.capture,
		transport.WithRetryBackoff(backoff),
		transport.WithRetryPredicate(retryable),
		transport.WithRetryStatusCodes(http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout))
	rt = transport.NewUserAgent(rt, "rules_odp")
	t, err := transport.NewWithContext(ctx, reg, auth, rt, []string{ref.Context().Scope(transport.PullScope)})
	if err != nil {
		return nil, p.classify(err, "")
	}
	p.client = &http.Client{Transport: t}
	return p, nil
}

// retryable: what may pass when tried again (not a refused connection).
func retryable(err error) bool {
	var temp interface{ Temporary() bool }
	if errors.As(err, &temp) && temp.Temporary() {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed)
}

func (p *puller) ref(digest string) string { return p.digest.Context().Name() + "@" + digest }

func (p *puller) blobURL(digest string) string {
	c := p.digest.Context()
	return fmt.Sprintf("%s://%s/v2/%s/blobs/%s", c.Scheme(), c.RegistryStr(), c.RepositoryStr(), digest)
}

// classify turns a failed request into the error a user can act on.
func (p *puller) classify(err error, what string) error {
	reg := p.digest.Context().RegistryStr()
	var terr *transport.Error
	if errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) {
		return &AuthError{Registry: reg, Repository: p.digest.Context().RepositoryStr(), Status: terr.StatusCode, Source: p.source, Searched: p.searched, Err: err}
	}
	var op *net.OpError
	var dns *net.DNSError
	if errors.As(err, &dns) || errors.As(err, &op) && op.Op == "dial" {
		return &UnreachableError{Registry: reg, Err: err}
	}
	if what == "" {
		return fmt.Errorf("registry %s: %w", reg, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// get does one GET and checks its status; the caller closes the body.
func (p *puller) get(url, accept, what, ref string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(p.ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, p.classify(err, "fetching "+what+" "+ref)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return resp, nil
	case http.StatusNotFound:
		resp.Body.Close()
		return nil, &NotFoundError{What: what, Reference: ref, Status: resp.StatusCode}
	}
	err = transport.CheckError(resp, http.StatusOK)
	resp.Body.Close()
	return nil, p.classify(err, "fetching "+what+" "+ref)
}

// manifest fetches a manifest or index by digest: at most size bytes when
// size >= 0 (what a descriptor says), else at most the JSON budget.
func (p *puller) manifest(digest string, size int64) ([]byte, string, error) {
	ref := p.ref(digest)
	if size > budget.ImageJSONBytes {
		return nil, "", fmt.Errorf("manifest %s declares size %d: %w", ref, size,
			&budget.Error{Budget: "bytes of an image JSON document", Limit: budget.ImageJSONBytes, Got: size})
	}
	c := p.digest.Context()
	url := fmt.Sprintf("%s://%s/v2/%s/manifests/%s", c.Scheme(), c.RegistryStr(), c.RepositoryStr(), digest)
	resp, err := p.get(url, manifestAccept, "manifest", ref)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := budget.ReadAll(resp.Body, budget.ImageJSONBytes)
	if err != nil {
		return nil, "", fmt.Errorf("reading manifest %s: %w", ref, err)
	}
	if got := image.DigestOf(b); got != digest {
		return nil, "", &DigestMismatchError{What: "manifest", Reference: ref, Want: digest, Got: got}
	}
	if size >= 0 && int64(len(b)) != size {
		return nil, "", fmt.Errorf("manifest %s has %d bytes, its descriptor says %d", ref, len(b), size)
	}
	var v struct {
		MediaType string `json:"mediaType"`
	}
	if err := strictjson.Unmarshal(b, &v); err != nil {
		return nil, "", fmt.Errorf("parsing manifest %s: %w", ref, err)
	}
	mt := v.MediaType
	if mt == "" {
		// The mediaType field is optional in OCI documents.
		mt, _, _ = mime.ParseMediaType(resp.Header.Get("Content-Type"))
	}
	return b, mt, nil
}

// blobBytes fetches a small blob (the config) into memory, verified.
func (p *puller) blobBytes(d image.Descriptor) ([]byte, error) {
	url := p.blobURL(d.Digest)
	resp, err := p.get(url, "", "blob", p.ref(d.Digest))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := budget.ReadAll(resp.Body, d.Size)
	if err != nil {
		return nil, fmt.Errorf("reading blob %s: more bytes than its descriptor's %d: %w", p.ref(d.Digest), d.Size, err)
	}
	if int64(len(b)) != d.Size {
		return nil, fmt.Errorf("reading blob %s: %d bytes, its descriptor says %d", p.ref(d.Digest), len(b), d.Size)
	}
	if got := image.DigestOf(b); got != d.Digest {
		return nil, &DigestMismatchError{What: "blob", Reference: p.ref(d.Digest), Want: d.Digest, Got: got}
	}
	return b, nil
}

// blobTo streams a layer blob into the layout, verified on the way.
func (p *puller) blobTo(w *image.LayoutWriter, d image.Descriptor) error {
	url := p.blobURL(d.Digest)
	resp, err := p.get(url, "", "blob", p.ref(d.Digest))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := w.PutStream(d, resp.Body, url); err != nil {
		var corrupt *image.CorruptBlobError
		if errors.As(err, &corrupt) && corrupt.Got != "" {
			return &DigestMismatchError{What: "blob", Reference: p.ref(d.Digest), Want: d.Digest, Got: corrupt.Got}
		}
		return err
	}
	return nil
}

// authCapture remembers the scheme and Authorization header of the last
// blob request the registry itself accepted, for another downloader.
type authCapture struct {
	inner    http.RoundTripper
	registry string
	mu       sync.Mutex
	scheme   string
	header   string
}

func (c *authCapture) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.inner.RoundTrip(req)
	if err == nil && resp.StatusCode < 400 && strings.Contains(req.URL.Path, "/blobs/") &&
		canonicalHost(req.URL.Host, req.URL.Scheme) == canonicalHost(c.registry, req.URL.Scheme) {
		c.mu.Lock()
		c.scheme, c.header = req.URL.Scheme, req.Header.Get("Authorization")
		c.mu.Unlock()
	}
	return resp, err
}

func (c *authCapture) get() (scheme, header string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.scheme, c.header
}
