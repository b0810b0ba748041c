package jarnorm

import (
	"fmt"
	"time"
)

// Options tune Normalize. The zero value is the default.
type Options struct {
	// Modified is the time given to every entry. The zero value means
	// 1980-01-01 00:00:00, the earliest time a zip can hold.
	Modified time.Time
	// DropManifestAttributes are removed from the manifest's main section
	// in addition to DefaultDropManifestAttributes (case-insensitively).
	DropManifestAttributes []string
	// SkipNested copies nested jars without normalising them.
	SkipNested bool
	// Recompress compresses every deflated entry again with the pinned
	// deflater instead of copying its compressed bytes.
	Recompress bool
	// SortEntries sorts the entries by name (after "META-INF/", the
	// manifest and the other META-INF/ entries) instead of keeping the
	// input's order. It changes the meaning of jars whose readers go by
	// entry order, such as Spring Boot jars without BOOT-INF/classpath.idx,
	// whose class path follows the order of BOOT-INF/lib/.
	SortEntries bool
}

// DefaultDropManifestAttributes are the manifest attributes that record the
// build's machine, user, time or tool versions rather than the jar's
// content: Maven's archiver (Built-By, Build-Jdk, Build-Jdk-Spec,
// Created-By), the jar tool and Gradle (Created-By), bnd/Felix
// (Bnd-LastModified, Tool, Originally-Created-By) and common build-info
// plugins (Build-*/Built-* time, host and OS, Implementation-Build-Date).
var DefaultDropManifestAttributes = []string{
	"Bnd-LastModified",
	"Build-Date",
	"Build-Host",
	"Build-Jdk",
	"Build-Jdk-Spec",
	"Build-OS",
	"Build-Time",
	"Build-Timestamp",
	"Built-By",
	"Built-Date",
	"Built-Host",
	"Built-JDK",
	"Built-OS",
	"Created-By",
	"Implementation-Build-Date",
	"Originally-Created-By",
	"Tool",
}

var dosEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// dosTime converts t (in UTC) to the date and time fields of a zip header.
// Times before 1980 are clamped: a zip cannot express them.
func dosTime(t time.Time) (date, tim uint16, err error) {
	t = t.UTC()
	if t.IsZero() || t.Before(dosEpoch) {
		t = dosEpoch
	}
	if t.Year() > 2107 {
		return 0, 0, fmt.Errorf("time %s is after 2107, the last year a zip can hold", t.Format(time.RFC3339))
	}
	date = uint16((t.Year()-1980)<<9 | int(t.Month())<<5 | t.Day())
	tim = uint16(t.Hour()<<11 | t.Minute()<<5 | t.Second()/2)
	return date, tim, nil
}
