package imagediff

import (
	"archive/tar"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// entryKey identifies an entry across layers: its path and, for a path an
// archive holds more than once, which of those entries (0-based).
type entryKey struct {
	path string
	occ  int
}

// group maps each path to its entries in archive order. In semantic mode
// only the last entry of a path counts: runtimes apply entries in order,
// so the last one is what the file system ends up with.
func group(es []entry, semantic bool) (map[string][]*entry, []string) {
	m := make(map[string][]*entry, len(es))
	var paths []string
	for i := range es {
		e := &es[i]
		if _, seen := m[e.Path]; !seen {
			paths = append(paths, e.Path)
		}
		if semantic {
			m[e.Path] = []*entry{e}
		} else {
			m[e.Path] = append(m[e.Path], e)
		}
	}
	return m, paths
}

// diffEntries appends the file-level differences between the entries of
// layer n of A (ea) and of B (eb), sorted by path.
func diffEntries(out *[]Difference, n int, ea, eb []entry, semantic bool) {
	ga, pa := group(ea, semantic)
	gb, pb := group(eb, semantic)
	paths := append(pa, pb...)
	sort.Strings(paths)
	var moved map[entryKey][2]int
	if !semantic {
		moved = reordered(ea, eb)
	}
	for i, p := range paths {
		if i > 0 && paths[i-1] == p {
			continue
		}
		la, lb := ga[p], gb[p]
		multi := len(la) > 1 || len(lb) > 1
		for k := 0; k < len(la) || k < len(lb); k++ {
			d := Difference{Scope: "layer", Layer: n, Path: p}
			if multi {
				d.Occurrence = k + 1
			}
			switch {
			case k >= len(la):
				d.Field, d.Kind, d.B = "entry", Added, lb[k].summary()
				*out = append(*out, d)
			case k >= len(lb):
				d.Field, d.Kind, d.A = "entry", Removed, la[k].summary()
				*out = append(*out, d)
			default:
				compareEntry(out, d, la[k], lb[k], semantic)
				if m, ok := moved[entryKey{p, k}]; ok {
					d.Field, d.Kind, d.A, d.B = "order", Changed, "entry "+strconv.Itoa(m[0]), "entry "+strconv.Itoa(m[1])
					*out = append(*out, d)
				}
			}
		}
	}
}

// compareEntry appends the differing attributes of two entries of the
// same path; d carries the scope, layer and path.
func compareEntry(out *[]Difference, d Difference, a, b *entry, semantic bool) {
	add := func(field, va, vb string) {
		if va != vb {
			d.Field, d.Kind, d.A, d.B = field, Changed, va, vb
			*out = append(*out, d)
		}
	}
	if !semantic {
		add("name", strconv.Quote(a.Name), strconv.Quote(b.Name))
	}
	if a.Type != b.Type {
		add("type", a.summary(), b.summary())
		return
	}
	switch a.Type {
	case tar.TypeReg:
		add("content", a.content(), b.content())
	case tar.TypeSymlink, tar.TypeLink:
		add("link", strconv.Quote(a.Link), strconv.Quote(b.Link))
	case tar.TypeChar, tar.TypeBlock:
		add("device", fmt.Sprintf("%d:%d", a.Devmajor, a.Devminor), fmt.Sprintf("%d:%d", b.Devmajor, b.Devminor))
	}
	ma, mb := a.Mode, b.Mode
	if semantic {
		// Only permission and special bits reach the file system; the
		// mode of a symlink or a hard link is not applied at all.
		ma, mb = ma&0o7777, mb&0o7777
		if a.Type == tar.TypeSymlink || a.Type == tar.TypeLink {
			ma, mb = 0, 0
		}
	}
	add("mode", fmt.Sprintf("%04o", ma), fmt.Sprintf("%04o", mb))
	add("owner", fmt.Sprintf("%d:%d", a.UID, a.GID), fmt.Sprintf("%d:%d", b.UID, b.GID))
	if !semantic {
		add("uname", strconv.Quote(a.Uname), strconv.Quote(b.Uname))
		add("gname", strconv.Quote(a.Gname), strconv.Quote(b.Gname))
	}
	for _, k := range unionKeys(anyMap(a.Xattrs), anyMap(b.Xattrs)) {
		va, inA := a.Xattrs[k]
		vb, inB := b.Xattrs[k]
		d.Field = "xattr[" + strconv.Quote(k) + "]"
		switch {
		case !inA:
			d.Kind, d.A, d.B = Added, "", strconv.Quote(vb)
			*out = append(*out, d)
		case !inB:
			d.Kind, d.A, d.B = Removed, strconv.Quote(va), ""
			*out = append(*out, d)
		default:
			add(d.Field, strconv.Quote(va), strconv.Quote(vb))
		}
	}
	if !semantic {
		add("mtime", formatTime(a.MTime), formatTime(b.MTime))
		add("atime", formatTime(a.ATime), formatTime(b.ATime))
		add("ctime", formatTime(a.CTime), formatTime(b.CTime))
	}
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func anyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// reordered finds the entries present in both layers whose relative order
// changed: the common entries of A, numbered by their position in B, keep
// a longest increasing run in place and every other one has moved. That
// names as few entries as possible (a single moved file is one line, not
// every file it jumped over). It maps each moved entry to its 1-based
// positions in A and B.
func reordered(ea, eb []entry) map[entryKey][2]int {
	posB := make(map[entryKey]int, len(eb))
	occ := make(map[string]int, len(eb))
	for i := range eb {
		k := entryKey{eb[i].Path, occ[eb[i].Path]}
		occ[eb[i].Path]++
		posB[k] = eb[i].Index
	}
	clear(occ)
	var keys []entryKey
	var seq, seqA []int
	for i := range ea {
		k := entryKey{ea[i].Path, occ[ea[i].Path]}
		occ[ea[i].Path]++
		if pb, ok := posB[k]; ok {
			keys = append(keys, k)
			seq = append(seq, pb)
			seqA = append(seqA, ea[i].Index)
		}
	}
	keep := longestIncreasing(seq)
	var moved map[entryKey][2]int
	for i, k := range keys {
		if !keep[i] {
			if moved == nil {
				moved = map[entryKey][2]int{}
			}
			moved[k] = [2]int{seqA[i], seq[i]}
		}
	}
	return moved
}

// longestIncreasing marks the elements of one longest strictly increasing
// subsequence of s (patience sorting, O(n log n)).
func longestIncreasing(s []int) []bool {
	// tails[l] is the index in s of the smallest tail of an increasing
	// subsequence of length l+1; prev links each element to its
	// predecessor in such a subsequence.
	var tails []int
	prev := make([]int, len(s))
	for i, v := range s {
		l := sort.Search(len(tails), func(j int) bool { return s[tails[j]] >= v })
		if l > 0 {
			prev[i] = tails[l-1]
		} else {
			prev[i] = -1
		}
		if l == len(tails) {
			tails = append(tails, i)
		} else {
			tails[l] = i
		}
	}
	keep := make([]bool, len(s))
	if len(tails) == 0 {
		return keep
	}
	for i := tails[len(tails)-1]; i >= 0; i = prev[i] {
		keep[i] = true
	}
	return keep
}
