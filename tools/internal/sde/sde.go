// Package sde owns the one timestamp rules_odp writes into images:
// SOURCE_DATE_EPOCH (reproducible-builds.org). Every verb takes it the same
// way, --source-date-epoch SECONDS, else the environment variable
// SOURCE_DATE_EPOCH, else 0, and uses it for every layer entry's mtime,
// every jar entry's time and the image config's `created`. A malformed
// value is an error, never silently 0.
package sde

import (
	"errors"
	"fmt"
	"time"
)

// Max is the largest value: what a USTAR header's 11 octal digits hold
// (year 2242).
const Max = 1<<33 - 1

// EnvVar is the environment variable read when the flag is not given.
const EnvVar = "SOURCE_DATE_EPOCH"

// Parse parses an ASCII decimal number of seconds since 1970-01-01 UTC, as
// `date +%s` prints it.
func Parse(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("empty SOURCE_DATE_EPOCH")
	}
	var v int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("SOURCE_DATE_EPOCH %q is not a decimal integer of seconds", s)
		}
		v = v*10 + int64(c-'0')
		if v > Max {
			return 0, fmt.Errorf("SOURCE_DATE_EPOCH %q is too large (max %d)", s, int64(Max))
		}
	}
	return v, nil
}

// Resolve returns the timestamp a verb uses: flagValue when given, else
// $SOURCE_DATE_EPOCH (via getenv, which may be nil), else 0. An error names
// where the bad value came from.
func Resolve(flagValue string, getenv func(string) string) (int64, error) {
	v, source := flagValue, "--source-date-epoch"
	if v == "" && getenv != nil {
		v, source = getenv(EnvVar), "$"+EnvVar
	}
	if v == "" {
		return 0, nil
	}
	s, err := Parse(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", source, err)
	}
	return s, nil
}

// Time is the timestamp as a UTC time.
func Time(seconds int64) time.Time { return time.Unix(seconds, 0).UTC() }
