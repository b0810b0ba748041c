package image

import (
	"fmt"
	"strings"
)

// Platform is an os/architecture[/variant] triple.
type Platform struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant,omitempty"`
}

// DefaultPlatform is what assemble builds for unless told otherwise:
// Confidential Space runs linux/amd64 only.
var DefaultPlatform = Platform{OS: "linux", Architecture: "amd64"}

// ParsePlatform reads "os/arch" or "os/arch/variant".
func ParsePlatform(s string) (Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return Platform{}, fmt.Errorf("platform %q: want os/arch or os/arch/variant", s)
	}
	for _, p := range parts {
		if p == "" || strings.TrimSpace(p) != p {
			return Platform{}, fmt.Errorf("platform %q: empty or padded component", s)
		}
	}
	p := Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// matches says whether have satisfies want; a want without variant
// accepts any variant.
func (want Platform) matches(have Platform) bool {
	return want.OS == have.OS && want.Architecture == have.Architecture &&
		(want.Variant == "" || want.Variant == have.Variant)
}
