package sbom

import (
	"sort"
	"strings"
)

// spdxIDs are the SPDX license identifiers we recognise, keyed by their
// lower-case form. An identifier outside this list becomes a LicenseRef
// (SPDX documents must not name unknown identifiers).
var spdxIDs = func() map[string]string {
	m := map[string]string{}
	for _, id := range []string{
		"0BSD", "AFL-2.1", "AGPL-3.0-only", "AGPL-3.0-or-later", "Apache-1.0", "Apache-1.1", "Apache-2.0",
		"APSL-2.0", "Artistic-1.0", "Artistic-1.0-Perl", "Artistic-2.0", "Beerware", "BSD-1-Clause",
		"BSD-2-Clause", "BSD-2-Clause-Patent", "BSD-3-Clause", "BSD-4-Clause", "BSL-1.0", "bzip2-1.0.6",
		"CC-BY-3.0", "CC-BY-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0", "CC0-1.0", "CDDL-1.0", "CDDL-1.1",
		"CPL-1.0", "curl", "EPL-1.0", "EPL-2.0", "FSFAP", "FSFUL", "FSFULLR", "FTL", "GFDL-1.2-only",
		"GFDL-1.2-or-later", "GFDL-1.3-only", "GFDL-1.3-or-later", "GPL-1.0-only", "GPL-1.0-or-later",
		"GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later", "HPND", "ICU", "IJG",
		"ISC", "LGPL-2.0-only", "LGPL-2.0-or-later", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only",
		"LGPL-3.0-or-later", "Libpng", "libpng-2.0", "LPPL-1.3c", "MIT", "MIT-0", "MPL-1.1", "MPL-2.0",
		"MS-PL", "NCSA", "OFL-1.1", "OpenSSL", "PHP-3.01", "PostgreSQL", "PSF-2.0", "Python-2.0", "Ruby",
		"Sleepycat", "TCL", "Unicode-3.0", "Unicode-DFS-2016", "Unlicense", "UPL-1.0", "W3C", "WTFPL",
		"X11", "Zlib", "ZPL-2.1",
	} {
		m[strings.ToLower(id)] = id
	}
	return m
}()

// spdxExceptions are the license exceptions we recognise.
var spdxExceptions = map[string]string{
	"autoconf-exception-3.0":         "Autoconf-exception-3.0",
	"bison-exception-2.2":            "Bison-exception-2.2",
	"classpath-exception-2.0":        "Classpath-exception-2.0",
	"gcc-exception-3.1":              "GCC-exception-3.1",
	"llvm-exception":                 "LLVM-exception",
	"openjdk-assembly-exception-1.0": "OpenJDK-assembly-exception-1.0",
}

// dep5Names maps the short names of the Debian copyright format
// (copyright-format/1.0 §7.8) that differ from SPDX identifiers.
var dep5Names = map[string]string{
	"agpl-3": "AGPL-3.0-only", "agpl-3+": "AGPL-3.0-or-later",
	"apache": "Apache-2.0", "artistic": "Artistic-1.0",
	"bsd-2-clause": "BSD-2-Clause", "bsd-3-clause": "BSD-3-Clause", "bsd-4-clause": "BSD-4-Clause",
	"boost-1.0": "BSL-1.0", "expat": "MIT", "zlib": "Zlib",
	"gfdl-1.2": "GFDL-1.2-only", "gfdl-1.2+": "GFDL-1.2-or-later",
	"gfdl-1.3": "GFDL-1.3-only", "gfdl-1.3+": "GFDL-1.3-or-later",
	"gpl-1": "GPL-1.0-only", "gpl-1+": "GPL-1.0-or-later",
	"gpl-2": "GPL-2.0-only", "gpl-2+": "GPL-2.0-or-later",
	"gpl-3": "GPL-3.0-only", "gpl-3+": "GPL-3.0-or-later",
	"lgpl-2": "LGPL-2.0-only", "lgpl-2+": "LGPL-2.0-or-later",
	"lgpl-2.1": "LGPL-2.1-only", "lgpl-2.1+": "LGPL-2.1-or-later",
	"lgpl-3": "LGPL-3.0-only", "lgpl-3+": "LGPL-3.0-or-later",
	"mpl-1.1": "MPL-1.1", "mpl-2.0": "MPL-2.0", "psf-2": "PSF-2.0", "python-2.0": "Python-2.0",
	"cc0": "CC0-1.0", "unicode-dfs-2016": "Unicode-DFS-2016",
	// LLVM's Debian packages name Apache-2.0 WITH LLVM-exception so.
	"apache-2-llvm-exceptions": "Apache-2.0 WITH LLVM-exception",
}

// LicenseRefPrefix starts the identifiers of licenses that have no SPDX
// identifier.
const LicenseRefPrefix = "LicenseRef-"

// licenseID maps one license name (a DEP-5 short name or an SPDX
// identifier, any case) to an SPDX identifier or a LicenseRef.
func licenseID(name string) string {
	l := strings.ToLower(name)
	if id, ok := dep5Names[l]; ok {
		return id
	}
	if id, ok := spdxIDs[l]; ok {
		return id
	}
	return licenseRef(name)
}

// licenseRef makes a LicenseRef of any text: a trailing "+" (DEP-5's
// "or any later version") becomes "-or-later", other characters outside
// [A-Za-z0-9.-] become "-".
func licenseRef(name string) string {
	if n, ok := strings.CutSuffix(name, "+"); ok && n != "" && !strings.HasSuffix(n, "+") {
		name = n + "-or-later"
	}
	b := []byte(name)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			b[i] = '-'
		}
	}
	s := strings.Trim(string(b), "-")
	if s == "" {
		s = "unknown"
	}
	return LicenseRefPrefix + s
}

// DEP5License converts the license expression of a DEP-5 License field
// ("GPL-2+ or Artistic", "Apache-2.0 with LLVM exception") or an SPDX
// expression to SPDX syntax: names become identifiers (or LicenseRefs),
// "and"/"or" become AND/OR, "X with Y exception" becomes X WITH Y when Y
// is a known exception and one LicenseRef otherwise. An expression that
// does not parse becomes one LicenseRef of the whole text.
func DEP5License(expr string) string {
	toks := tokenizeLicense(expr)
	var out []string
	depth := 0
	operand := true // expecting an operand
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		lt := strings.ToLower(t)
		switch {
		case t == "(":
			if !operand {
				return licenseRef(expr)
			}
			depth++
			out = append(out, t)
		case t == ")":
			if operand || depth == 0 {
				return licenseRef(expr)
			}
			depth--
			out = append(out, t)
		case lt == "and" || lt == "or":
			if operand {
				return licenseRef(expr)
			}
			out = append(out, strings.ToUpper(lt))
			operand = true
		case lt == "with":
			if operand || len(out) == 0 {
				return licenseRef(expr)
			}
			// Collect the exception's words up to "exception" or the end.
			j := i + 1
			var words []string
			for ; j < len(toks); j++ {
				w := strings.ToLower(toks[j])
				if w == "exception" || w == "and" || w == "or" || toks[j] == ")" {
					break
				}
				words = append(words, toks[j])
			}
			if len(words) == 0 {
				return licenseRef(expr)
			}
			if j < len(toks) && strings.EqualFold(toks[j], "exception") {
				j++
			}
			exc := strings.Join(words, "-")
			if id, ok := spdxExceptions[strings.ToLower(exc)]; ok {
				out = append(out, "WITH", id)
			} else if id, ok := spdxExceptions[strings.ToLower(exc)+"-exception"]; ok {
				out = append(out, "WITH", id)
			} else {
				prev := out[len(out)-1]
				out[len(out)-1] = licenseRef(strings.TrimPrefix(prev, LicenseRefPrefix) + "-with-" + exc + "-exception")
			}
			i = j - 1
		default:
			if !operand {
				return licenseRef(expr)
			}
			out = append(out, licenseID(t))
			operand = false
		}
	}
	if operand || depth != 0 || len(out) == 0 {
		return licenseRef(expr)
	}
	var b strings.Builder
	for i, t := range out {
		if i > 0 && t != ")" && out[i-1] != "(" {
			b.WriteByte(' ')
		}
		b.WriteString(t)
	}
	return b.String()
}

// tokenizeLicense splits at white space, commas and parentheses.
func tokenizeLicense(s string) []string {
	var toks []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '(' || r == ')':
			flush()
			toks = append(toks, string(r))
		case r == ',' || r == ' ' || r == '\t' || r == '\n':
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return toks
}

// joinAnd joins distinct expressions with AND, sorted, each compound one
// in parentheses.
func joinAnd(exprs []string) string {
	seen := map[string]bool{}
	var uniq []string
	for _, e := range exprs {
		if e != "" && !seen[e] {
			seen[e] = true
			uniq = append(uniq, e)
		}
	}
	sort.Strings(uniq)
	if len(uniq) == 1 {
		return uniq[0]
	}
	for i, e := range uniq {
		if strings.ContainsAny(e, " ") {
			uniq[i] = "(" + e + ")"
		}
	}
	return strings.Join(uniq, " AND ")
}

// pythonClassifiers maps trove license classifiers to SPDX identifiers;
// ambiguous ones ("BSD License") are left out.
var pythonClassifiers = map[string]string{
	"License :: OSI Approved :: Apache Software License":                                 "Apache-2.0",
	"License :: OSI Approved :: MIT License":                                             "MIT",
	"License :: OSI Approved :: MIT No Attribution License (MIT-0)":                      "MIT-0",
	"License :: OSI Approved :: ISC License (ISCL)":                                      "ISC",
	"License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)":                    "MPL-2.0",
	"License :: OSI Approved :: Python Software Foundation License":                      "PSF-2.0",
	"License :: OSI Approved :: GNU General Public License v2 (GPLv2)":                   "GPL-2.0-only",
	"License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)":         "GPL-2.0-or-later",
	"License :: OSI Approved :: GNU General Public License v3 (GPLv3)":                   "GPL-3.0-only",
	"License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)":         "GPL-3.0-or-later",
	"License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)":           "LGPL-2.0-only",
	"License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)":           "LGPL-3.0-only",
	"License :: OSI Approved :: The Unlicense (Unlicense)":                               "Unlicense",
	"License :: OSI Approved :: Zope Public License":                                     "ZPL-2.1",
	"License :: OSI Approved :: Universal Permissive License (UPL)":                      "UPL-1.0",
	"License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication":                    "CC0-1.0",
	"License :: OSI Approved :: Boost Software License 1.0 (BSL-1.0)":                    "BSL-1.0",
	"License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)":                    "EPL-2.0",
	"License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
}

// pythonLicense picks a distribution's license: License-Expression (PEP
// 639) if present, else a License field that is a single known SPDX
// identifier, else the license classifiers; "" if none says.
func pythonLicense(m PythonMetadata) string {
	if m.LicenseExpression != "" {
		return DEP5License(m.LicenseExpression)
	}
	if l := strings.TrimSpace(m.License); l != "" && !strings.ContainsAny(l, " \n") {
		if id, ok := spdxIDs[strings.ToLower(l)]; ok {
			return id
		}
	}
	var ids []string
	for _, c := range m.Classifiers {
		if id, ok := pythonClassifiers[c]; ok {
			ids = append(ids, id)
		}
	}
	return joinAnd(ids)
}
