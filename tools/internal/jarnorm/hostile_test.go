package jarnorm_test

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/jarnorm"
)

func TestHostileJarsAreRefused(t *testing.T) {
	good := func() *rawEntry { return entry(t, "a/A.class", zip.Deflate, []byte("class A content")) }
	manifest := func(content string) *rawEntry { return entry(t, "META-INF/MANIFEST.MF", zip.Deflate, []byte(content)) }
	zipOf := func(es ...*rawEntry) []byte { return (&rawZip{entries: es}).bytes() }
	for _, tc := range []struct {
		name string
		jar  []byte
		want string
	}{
		{name: "not a zip", jar: []byte("hello, world"), want: "reading zip: zip: not a valid zip file"},
		{name: "duplicate names", jar: zipOf(good(), good()), want: `entry "a/A.class" appears twice`},
		{name: "orders differ", jar: (&rawZip{entries: []*rawEntry{good(), entry(t, "b", zip.Store, nil)}, dirOrder: []int{1, 0}}).bytes(),
			want: `local header 1 of 2 names "a/A.class", but the central directory lists "b" there`},
		{name: "parent traversal", jar: zipOf(entry(t, "a/../../evil", zip.Store, nil)), want: `entry name "a/../../evil" contains ".."`},
		{name: "absolute", jar: zipOf(entry(t, "/etc/passwd", zip.Store, nil)), want: `entry name "/etc/passwd" is absolute`},
		{name: "backslash", jar: zipOf(entry(t, `a\..\evil`, zip.Store, nil)), want: "contains a backslash"},
		{name: "NUL", jar: zipOf(entry(t, "a\x00.class", zip.Store, nil)), want: "contains a NUL byte"},
		{name: "empty element", jar: zipOf(entry(t, "a//b", zip.Store, nil)), want: `entry name "a//b" is not clean`},
		{name: "dot element", jar: zipOf(entry(t, "./a", zip.Store, nil)), want: `entry name "./a" is not clean`},
		{name: "invalid UTF-8", jar: zipOf(entry(t, "a\xff", zip.Store, nil)), want: "is not valid UTF-8"},
		{name: "encrypted", jar: func() []byte {
			e := good()
			e.flags, e.localFlags = 1, 1
			return zipOf(e)
		}(), want: `entry "a/A.class" is encrypted`},
		{name: "bzip2", jar: func() []byte {
			e := good()
			e.method = 12
			return zipOf(e)
		}(), want: `entry "a/A.class" uses compression method 12`},
		{name: "stored sizes differ", jar: func() []byte {
			e := entry(t, "a", zip.Store, []byte("abc"))
			e.usize, e.lusize = 4, 4
			return zipOf(e)
		}(), want: `stored entry "a" has compressed size 3 but uncompressed size 4`},
		{name: "directory with content", jar: zipOf(entry(t, "d/", zip.Store, []byte("x"))), want: `directory entry "d/" has 1 bytes of content`},
		{name: "local name differs", jar: func() []byte {
			e := good()
			e.localName = "a/B.class"
			return zipOf(e)
		}(), want: `local header at offset 0 names "a/B.class", which the central directory does not list`},
		{name: "local size differs", jar: func() []byte {
			e := good()
			e.lusize++
			return zipOf(e)
		}(), want: `entry "a/A.class": local header (crc 0x`},
		{name: "local method differs", jar: func() []byte {
			e := entry(t, "a", zip.Store, []byte("abc"))
			e.method = zip.Deflate
			e.data = storedDeflate([]byte("abc"))
			e.csize, e.lcsize = uint32(len(e.data)), uint32(len(e.data))
			var b bytes.Buffer
			b.Write((&rawZip{entries: []*rawEntry{e}}).bytes())
			raw := b.Bytes()
			binary.LittleEndian.PutUint16(raw[8:], zip.Store) // the local header says stored
			return raw
		}(), want: `entry "a": local header (flags 0x0, method 0) disagrees with the central directory (flags 0x0, method 8)`},
		{name: "descriptor disagrees", jar: func() []byte {
			e := good().withDescriptor()
			binary.LittleEndian.PutUint32(e.descriptor[4:], 0xdeadbeef)
			return zipOf(e)
		}(), want: `entry "a/A.class": data descriptor (crc 0xdeadbeef`},
		{name: "descriptor flag only in the central directory", jar: func() []byte {
			e := good().withDescriptor()
			e.localFlags = 0
			return zipOf(e)
		}(), want: `entry "a/A.class": local header (flags 0x0, method 8) disagrees with the central directory (flags 0x8, method 8)`},
		{name: "zip64 local sizes", jar: func() []byte {
			e := good()
			e.lcsize, e.lusize = 0xffffffff, 0xffffffff
			return zipOf(e)
		}(), want: `entry "a/A.class": zip64 sizes in the local header are not supported`},
		{name: "wrong CRC everywhere", jar: func() []byte {
			e := good()
			e.crc, e.lcrc = 0x12345678, 0x12345678
			return zipOf(e)
		}(), want: `entry "a/A.class": CRC-32 is 0x`},
		{name: "zero CRC everywhere", jar: func() []byte {
			e := good()
			e.crc, e.lcrc = 0, 0
			return zipOf(e)
		}(), want: `entry "a/A.class": CRC-32 is 0x`},
		{name: "garbage after the deflate stream", jar: func() []byte {
			e := good()
			e.data = append(e.data, "hidden"...)
			e.csize, e.lcsize = uint32(len(e.data)), uint32(len(e.data))
			return zipOf(e)
		}(), want: `entry "a/A.class": the deflate stream ends after 20 of its 26 compressed bytes`},
		{name: "uncompressed size understated", jar: func() []byte {
			e := good()
			e.usize, e.lusize = 3, 3
			return zipOf(e)
		}(), want: `entry "a/A.class" holds 4 bytes, the central directory says 3`},
		{name: "launch script prepended", jar: (&rawZip{prefix: []byte("#!/bin/sh\n"), entries: []*rawEntry{good()}}).bytes(), want: "the file does not start with a zip entry (is something such as a launch script prepended?)"},
		{name: "bytes between entries", jar: (&rawZip{between: []byte("hidden"), entries: []*rawEntry{good(), entry(t, "b", zip.Store, nil)}}).bytes(), want: "unexpected bytes at offset 59 where the local header of entry 2 of 2 should be"},
		{name: "bytes before the central directory", jar: (&rawZip{beforeDir: []byte("hidden"), entries: []*rawEntry{good()}}).bytes(), want: "6 unexplained bytes between the last entry (ends at offset 59) and the central directory (offset 65)"},
		{name: "trailing data", jar: (&rawZip{trailing: []byte("PK\x05\x06 trailing"), entries: []*rawEntry{good()}}).bytes(), want: "trailing data after the end of central directory record"},
		{name: "manifest without final newline", jar: zipOf(manifest("Manifest-Version: 1.0\r\nMain-Class: Main")), want: `entry "META-INF/MANIFEST.MF": manifest: the last line "Main-Class: Main" has no line ending, so Java ignores it; end it with a newline`},
		{name: "manifest header without space", jar: zipOf(manifest("Manifest-Version:1.0\n")), want: `manifest line 1: "Manifest-Version:1.0" is not a "Name: value" header`},
		{name: "manifest bad header name", jar: zipOf(manifest("Bad Name: x\n")), want: `manifest line 1: header name "Bad Name" may only hold letters, digits, '-' and '_'`},
		{name: "manifest section without Name", jar: zipOf(manifest("Manifest-Version: 1.0\n\nX-Foo: bar\n")), want: `manifest line 3: a per-entry section must start with a Name header, not "X-Foo"`},
		{name: "manifest dangling continuation", jar: zipOf(manifest(" continued\n")), want: `manifest line 1: continuation line " continued" does not follow a header`},
		{name: "nested jar that is not a zip", jar: zipOf(entry(t, "BOOT-INF/lib/x.jar", zip.Store, []byte("not a zip"))), want: `nested jar "BOOT-INF/lib/x.jar": reading zip: zip: not a valid zip file`},
		{name: "hostile nested jar", jar: zipOf(entry(t, "BOOT-INF/lib/x.jar", zip.Store, zipOf(entry(t, "../evil", zip.Store, nil)))), want: `nested jar "BOOT-INF/lib/x.jar": entry name "../evil" contains ".."`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := jarnorm.Normalize(&out, bytes.NewReader(tc.jar), int64(len(tc.jar)), jarnorm.Options{})
			if err == nil {
				t.Fatalf("Normalize succeeded, want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Normalize error:\n got %q\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// Jars nested deeper than the limit are refused rather than recursed into.
func TestNestingLimit(t *testing.T) {
	jar := (&rawZip{entries: []*rawEntry{entry(t, "a", zip.Store, []byte("leaf"))}}).bytes()
	for i := 0; i < 5; i++ {
		jar = (&rawZip{entries: []*rawEntry{entry(t, "lib/n.jar", zip.Store, jar)}}).bytes()
	}
	var out bytes.Buffer
	err := jarnorm.Normalize(&out, bytes.NewReader(jar), int64(len(jar)), jarnorm.Options{})
	if err == nil || !strings.Contains(err.Error(), "jars nested more than 4 deep") {
		t.Fatalf("error %v, want the nesting limit", err)
	}
	if err := jarnorm.Normalize(&out, bytes.NewReader(jar), int64(len(jar)), jarnorm.Options{SkipNested: true}); err != nil {
		t.Errorf("with SkipNested: %v", err)
	}
}
