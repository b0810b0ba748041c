// Package bigbuf allocates the large, short-lived buffers a repack decodes
// into. A fresh page of memory costs a page fault the first time it is
// written; on virtual machines a fault is expensive (about 10 µs measured
// on our CI machines, a third of a small repack's run time), so on Linux
// large buffers ask for transparent huge pages: one fault per 2 MiB
// instead of one per 4 KiB. The buffers are ordinary Go memory either way.
package bigbuf

// hugeMin is the size from which asking for huge pages is worth a system
// call.
const hugeMin = 4 << 20

// Make returns make([]byte, n), backed by huge pages where the system
// offers them.
func Make(n int) []byte {
	b := make([]byte, n)
	if n >= hugeMin {
		adviseHuge(b)
	}
	return b
}
