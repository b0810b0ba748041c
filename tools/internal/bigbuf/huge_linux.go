package bigbuf

import (
	"syscall"
	"unsafe"
)

// adviseHuge asks for transparent huge pages over b, whose pages have not
// been touched yet (a fresh large allocation). It is advice: an error (an
// old kernel, THP off) changes nothing but speed.
func adviseHuge(b []byte) {
	const page = 4096
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	skip := (page - start%page) % page
	if uintptr(len(b)) <= skip+page {
		return
	}
	n := (uintptr(len(b)) - skip) / page * page
	_ = syscall.Madvise(b[skip:skip+n], syscall.MADV_HUGEPAGE)
}
