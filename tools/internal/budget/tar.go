package budget

import (
	"archive/tar"
	"sync/atomic"
)

// Run is the budget of one command over every tar stream it reads (all the
// layers of a base image, of both images of a diff). The zero value is
// ready; it is safe for concurrent use (base layers are read in parallel).
type Run struct {
	entries, names atomic.Int64
}

// Tar meters one tar stream: call Header for every header read. The zero
// value is a stream not charged to any Run.
type Tar struct {
	run            *Run
	entries, names int64
}

// NewTar meters a tar stream that also counts against run (nil: none).
func NewTar(run *Run) *Tar { return &Tar{run: run} }

// Header charges one header: the entry, its name and link target (which
// readers keep in memory) and its PAX records, each against its budget.
// archive/tar itself bounds a PAX or GNU long-name header to 1 MiB while
// parsing; these budgets are what makes the sum over a layer bounded.
func (t *Tar) Header(h *tar.Header) error {
	t.entries++
	if err := over("tar entries in one layer", t.entries, TarEntries); err != nil {
		return err
	}
	if err := over("bytes of a tar entry name", int64(len(h.Name)), TarNameBytes); err != nil {
		return err
	}
	if err := over("bytes of a tar link target", int64(len(h.Linkname)), TarNameBytes); err != nil {
		return err
	}
	pax := 0
	for k, v := range h.PAXRecords {
		pax += len(k) + len(v)
	}
	if err := over("bytes of PAX records in one tar header", int64(pax), TarPAXBytes); err != nil {
		return err
	}
	n := int64(len(h.Name) + len(h.Linkname))
	t.names += n
	if err := over("bytes of tar names and link targets in one layer", t.names, TarHeaderBytes); err != nil {
		return err
	}
	if t.run != nil {
		if err := over("tar entries in all layers read", t.run.entries.Add(1), RunTarEntries); err != nil {
			return err
		}
		if err := over("bytes of tar names and link targets in all layers read", t.run.names.Add(n), RunHeaderBytes); err != nil {
			return err
		}
	}
	return nil
}
