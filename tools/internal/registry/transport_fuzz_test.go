package registry_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/rules-odp/rules_odp/tools/internal/registry"
)

// recorder answers every request 401 with the challenge given and records
// the requests that reached it.
type recorder struct {
	challenge string
	got       []*http.Request
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.got = append(r.got, req)
	h := http.Header{}
	h.Set("WWW-Authenticate", r.challenge)
	return &http.Response{StatusCode: http.StatusUnauthorized, Header: h, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
}

// FuzzHostPolicy: whatever challenge the registry sends and wherever a
// request then goes, plain HTTP reaches only the (loopback) registry, and
// credentials only the registry or a realm over HTTPS.
func FuzzHostPolicy(f *testing.F) {
	f.Add(`Bearer realm="https://auth.example.com/token",service="x"`, "https://auth.example.com/token")
	f.Add(`Bearer realm="http://127.0.0.1:1/token"`, "http://127.0.0.1:1/token")
	f.Add(`Basic realm="x"`, "http://127.0.0.1:5000/v2/")
	f.Add(`Bearer realm="https://EVIL.example.com:443/"`, "https://evil.example.com/x")
	f.Fuzz(func(t *testing.T, challenge, target string) {
		u, err := url.Parse(target)
		if err != nil || u.Host == "" {
			return
		}
		reg, _ := name.NewRegistry("127.0.0.1:5000")
		rec := &recorder{challenge: challenge}
		tr := registry.NewTransport(reg, registry.TransportOptions{Base: rec})
		ping, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:5000/v2/", nil)
		if resp, err := tr.RoundTrip(ping); err == nil {
			resp.Body.Close()
		}
		req, err := http.NewRequest(http.MethodGet, target, nil)
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "Basic c2VjcmV0")
		n := len(rec.got)
		if resp, err := tr.RoundTrip(req); err == nil {
			resp.Body.Close()
		}
		if len(rec.got) == n {
			return // refused
		}
		sent := rec.got[len(rec.got)-1]
		own := strings.EqualFold(sent.URL.Host, "127.0.0.1:5000")
		if sent.URL.Scheme != "https" && !own {
			t.Fatalf("plain HTTP reached %s", sent.URL)
		}
		if sent.Header.Get("Authorization") != "" && !own &&
			(sent.URL.Scheme != "https" || !strings.Contains(strings.ToLower(challenge), strings.ToLower(sent.URL.Hostname()))) {
			t.Fatalf("credentials reached %s, which the challenge %q does not name as realm", sent.URL, challenge)
		}
	})
}
