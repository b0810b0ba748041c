package budget

import "sync/atomic"

// Kept meters the contents of files that a reader of layers keeps in
// memory: the dpkg database files (status, status.d records, md5sums and
// file lists) of base and added layers. The zero value is ready; it is
// safe for concurrent use (base layers are read in parallel).
type Kept struct {
	n atomic.Int64
}

// Keep charges one file of size bytes: the file against DpkgFileBytes,
// the sum of all files charged against DpkgTotalBytes.
func (k *Kept) Keep(size int64) error {
	if err := over("bytes of one dpkg database file", size, DpkgFileBytes); err != nil {
		return err
	}
	return over("bytes of dpkg database files held at once", k.n.Add(size), DpkgTotalBytes)
}
