package registry

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// AuthFiles lists the credential files a push consults, in order, the way
// podman (containers/image) does: $REGISTRY_AUTH_FILE,
// $XDG_RUNTIME_DIR/containers/auth.json, $XDG_CONFIG_HOME (or
// ~/.config)/containers/auth.json, then Docker's $DOCKER_CONFIG (or
// ~/.docker)/config.json. getenv abstracts the environment for tests.
func AuthFiles(getenv func(string) string) []string {
	var files []string
	add := func(p string) {
		if p != "" {
			files = append(files, p)
		}
	}
	add(getenv("REGISTRY_AUTH_FILE"))
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		add(filepath.Join(d, "containers", "auth.json"))
	}
	home := getenv("HOME")
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		add(filepath.Join(d, "containers", "auth.json"))
	} else if home != "" {
		add(filepath.Join(home, ".config", "containers", "auth.json"))
	}
	if d := getenv("DOCKER_CONFIG"); d != "" {
		add(filepath.Join(d, "config.json"))
	} else if home != "" {
		add(filepath.Join(home, ".docker", "config.json"))
	}
	return files
}

// fileKeychain resolves credentials from docker/podman auth files. The
// first file with an entry for the repository (podman allows keys scoped
// to a repository or namespace) or its registry wins; files without one
// are skipped, so docker and podman logins both work side by side.
type fileKeychain struct {
	getenv func(string) string
}

// NewKeychain returns the keychain push uses (see AuthFiles).
func NewKeychain(getenv func(string) string) authn.Keychain {
	return &fileKeychain{getenv: getenv}
}

func (k *fileKeychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	a, _, err := k.resolve(target)
	return a, err
}

// resolve is Resolve, also naming the file and entry the credentials came from ("" for
// anonymous), so that a refused pull can say which entry was used.
func (k *fileKeychain) resolve(target authn.Resource) (authn.Authenticator, string, error) {
	if v := k.getenv("REGISTRY_AUTH_FILE"); v != "" {
		if _, err := os.Stat(v); err != nil {
			return nil, "", fmt.Errorf("REGISTRY_AUTH_FILE: %w", err)
		}
	}
	keys := lookupKeys(target)
	for _, file := range AuthFiles(k.getenv) {
		f, err := os.Open(file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("reading credentials: %w", err)
		}
		cf, err := config.LoadFromReader(f)
		f.Close()
		if err != nil {
			return nil, "", fmt.Errorf("parsing credentials file %q: %w", file, err)
		}
		for _, key := range keys {
			cfg, err := cf.GetAuthConfig(key)
			if err != nil {
				return nil, "", fmt.Errorf("credentials for %q from %q: %w", key, file, err)
			}
			cfg.ServerAddress = ""
			if cfg == (types.AuthConfig{}) {
				continue
			}
			return authn.FromConfig(authn.AuthConfig{
				Username:      cfg.Username,
				Password:      cfg.Password,
				Auth:          cfg.Auth,
				IdentityToken: cfg.IdentityToken,
				RegistryToken: cfg.RegistryToken,
			}), fmt.Sprintf("%s (entry %q)", file, key), nil
		}
	}
	return authn.Anonymous, "", nil
}

// lookupKeys are the auth-file keys for target, most specific first:
// host/a/b/c, host/a/b, host/a, host.
func lookupKeys(target authn.Resource) []string {
	reg := target.RegistryStr()
	var keys []string
	if s := target.String(); s != reg && strings.HasPrefix(s, reg+"/") {
		parts := strings.Split(strings.TrimPrefix(s, reg+"/"), "/")
		for i := len(parts); i > 0; i-- {
			keys = append(keys, reg+"/"+strings.Join(parts[:i], "/"))
		}
	}
	if reg == name.DefaultRegistry {
		reg = authn.DefaultAuthKey
	}
	return append(keys, reg)
}
