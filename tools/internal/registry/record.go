package registry

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/rules-odp/rules_odp/tools/internal/atomicfile"
)

// RecordEntry is one line of a push record: what was published under
// which name, in the shape build systems collect (Cloud Build's
// {"image", "digest"}). Image is REPO:TAG, or REPO when no tag was pushed.
type RecordEntry struct {
	Image  string `json:"image"`
	Digest string `json:"digest"`
}

// Record lists the entries of a push: one per tag, in tag order.
func (p *Pushed) Record() []RecordEntry {
	if len(p.Tags) == 0 {
		return []RecordEntry{{Image: p.Repository, Digest: p.Digest}}
	}
	var out []RecordEntry
	for _, t := range p.Tags {
		out = append(out, RecordEntry{Image: p.Repository + ":" + t, Digest: p.Digest})
	}
	return out
}

// WriteRecord writes the record as JSON Lines (one object per line), so
// records of several pushes can be concatenated and read line by line.
func WriteRecord(path string, p *Pushed) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		for _, e := range p.Record() {
			b, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, "%s\n", b); err != nil {
				return err
			}
		}
		return nil
	})
}
