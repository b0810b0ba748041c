package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// NamespaceBase starts every SPDX documentNamespace we write.
const NamespaceBase = "https://github.com/rules-odp/rules_odp/sbom"

// Meta is what a document says about its own making.
type Meta struct {
	// Created is the document's creation time (from SOURCE_DATE_EPOCH,
	// never the clock).
	Created time.Time
	// ToolVersion is odptool's version, "" if unknown.
	ToolVersion string
}

// created is Created in RFC 3339, UTC; the zero time means the epoch.
func (m Meta) created() string {
	if m.Created.IsZero() {
		return time.Unix(0, 0).UTC().Format(time.RFC3339)
	}
	return m.Created.UTC().Format(time.RFC3339)
}

func (m Meta) tool() string {
	if m.ToolVersion == "" {
		return "odptool"
	}
	return "odptool-" + m.ToolVersion
}

type spdxDocument struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreationInfo   `json:"creationInfo"`
	Packages          []spdxPackage      `json:"packages"`
	Files             []spdxFile         `json:"files,omitempty"`
	Extracted         []spdxExtracted    `json:"hasExtractedLicensingInfos,omitempty"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
	Comment  string   `json:"comment,omitempty"`
}

type spdxChecksum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"checksumValue"`
}

type spdxExternalRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

type spdxPackage struct {
	SPDXID           string            `json:"SPDXID"`
	Name             string            `json:"name"`
	VersionInfo      string            `json:"versionInfo,omitempty"`
	DownloadLocation string            `json:"downloadLocation"`
	FilesAnalyzed    bool              `json:"filesAnalyzed"`
	Checksums        []spdxChecksum    `json:"checksums,omitempty"`
	SourceInfo       string            `json:"sourceInfo,omitempty"`
	LicenseConcluded string            `json:"licenseConcluded"`
	LicenseDeclared  string            `json:"licenseDeclared"`
	CopyrightText    string            `json:"copyrightText"`
	Comment          string            `json:"comment,omitempty"`
	ExternalRefs     []spdxExternalRef `json:"externalRefs,omitempty"`
	Purpose          string            `json:"primaryPackagePurpose,omitempty"`
}

type spdxFile struct {
	SPDXID           string         `json:"SPDXID"`
	FileName         string         `json:"fileName"`
	FileTypes        []string       `json:"fileTypes"`
	Checksums        []spdxChecksum `json:"checksums"`
	LicenseConcluded string         `json:"licenseConcluded"`
	CopyrightText    string         `json:"copyrightText"`
	Comment          string         `json:"comment,omitempty"`
}

type spdxExtracted struct {
	LicenseID     string `json:"licenseId"`
	Name          string `json:"name"`
	ExtractedText string `json:"extractedText"`
}

type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

// spdxIDs hands out unique SPDX identifiers built from readable parts.
type idAllocator struct{ used map[string]bool }

func (a *idAllocator) id(parts ...string) string {
	var b strings.Builder
	b.WriteString("SPDXRef")
	for _, p := range parts {
		if p == "" {
			continue
		}
		b.WriteByte('-')
		for _, c := range []byte(p) {
			if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' {
				b.WriteByte(c)
			} else {
				b.WriteByte('-')
			}
		}
	}
	base := b.String()
	id := base
	for n := 2; a.used[id]; n++ {
		id = base + "-" + strconv.Itoa(n)
	}
	a.used[id] = true
	return id
}

func noassert(s string) string {
	if s == "" {
		return "NOASSERTION"
	}
	return s
}

func (inv *Inventory) where(layer int, p string) string {
	l := inv.Layers[layer]
	return fmt.Sprintf("found in layer %d of %d (%s, diff_id %s) at %s", layer+1, len(inv.Layers), l.Digest, l.DiffID, p)
}

// SPDX renders the inventory as an SPDX 2.3 JSON document. The
// documentNamespace is NamespaceBase/sha256-<image digest hex>/<hex
// SHA-256 of the document rendered with an empty namespace>: unique for
// every distinct document, and the same for the same inputs.
func (inv *Inventory) SPDX(meta Meta) ([]byte, error) {
	doc := spdxDocument{
		SPDXVersion: "SPDX-2.3",
		DataLicense: "CC0-1.0",
		SPDXID:      "SPDXRef-DOCUMENT",
		Name:        inv.Name,
		CreationInfo: spdxCreationInfo{
			Created:  meta.created(),
			Creators: []string{"Tool: " + meta.tool()},
			Comment:  "Listed from the layer contents of image " + inv.Digest + " (config " + inv.ConfigDigest + ").",
		},
		Packages:      []spdxPackage{},
		Relationships: []spdxRelationship{},
	}
	ids := &idAllocator{used: map[string]bool{"SPDXRef-DOCUMENT": true}}
	imageID := ids.id("Image")
	img := spdxPackage{
		SPDXID: imageID, Name: inv.Name, VersionInfo: inv.Digest,
		DownloadLocation: "NOASSERTION", LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION", CopyrightText: "NOASSERTION",
		Checksums: []spdxChecksum{{"SHA256", strings.TrimPrefix(inv.Digest, "sha256:")}},
		Comment:   "The image manifest; its config (image ID) is " + inv.ConfigDigest + ".",
		Purpose:   "CONTAINER",
	}
	if isRepository(inv.Name) {
		img.ExternalRefs = []spdxExternalRef{{"PACKAGE-MANAGER", "purl", OCIPURL(inv.Name, inv.Digest)}}
	}
	doc.Packages = append(doc.Packages, img)
	doc.Relationships = append(doc.Relationships, spdxRelationship{"SPDXRef-DOCUMENT", "DESCRIBES", imageID})
	if b := inv.Base; b != nil {
		baseID := ids.id("Base")
		bp := spdxPackage{
			SPDXID: baseID, Name: b.Name, VersionInfo: b.Digest,
			DownloadLocation: "NOASSERTION", LicenseConcluded: "NOASSERTION", LicenseDeclared: "NOASSERTION", CopyrightText: "NOASSERTION",
			Checksums: []spdxChecksum{{"SHA256", strings.TrimPrefix(b.Digest, "sha256:")}},
			Purpose:   "CONTAINER",
			Comment:   "The base image, known by digest only.",
		}
		if isRepository(b.Name) {
			bp.ExternalRefs = []spdxExternalRef{{"PACKAGE-MANAGER", "purl", OCIPURL(b.Name, b.Digest)}}
		}
		if b.Layers > 0 {
			bp.Comment = fmt.Sprintf("The base image: the image's first %d layers are its layers.", b.Layers)
		}
		doc.Packages = append(doc.Packages, bp)
		doc.Relationships = append(doc.Relationships, spdxRelationship{imageID, "DESCENDANT_OF", baseID})
	}
	pkgIDs := make([]string, len(inv.Packages))
	refs := map[string]string{}
	for i, p := range inv.Packages {
		sp := spdxPackage{
			Name: p.Name, VersionInfo: p.Version,
			DownloadLocation: "NOASSERTION", LicenseConcluded: "NOASSERTION", LicenseDeclared: noassert(p.License), CopyrightText: "NOASSERTION",
			Comment: inv.where(p.Layer, p.Path),
		}
		switch p.Kind {
		case KindDeb:
			sp.SPDXID = ids.id("deb", p.Name, p.Arch)
			sp.SourceInfo = "built from Debian source package " + p.Source + " " + p.SourceVersion
			if p.SHA256 != "" {
				sp.Checksums = []spdxChecksum{{"SHA256", p.SHA256}}
			}
		case KindPython:
			sp.SPDXID = ids.id("python", p.Name)
		case KindJava:
			sp.SPDXID = ids.id("java", p.Group, p.Name)
			if p.SHA1 != "" {
				sp.Checksums = []spdxChecksum{{"SHA1", p.SHA1}, {"SHA256", p.SHA256}}
			}
		}
		if p.PURL != "" {
			sp.ExternalRefs = []spdxExternalRef{{"PACKAGE-MANAGER", "purl", p.PURL}}
		}
		for _, ref := range licenseRefs(p.License) {
			refs[ref] = ref
		}
		pkgIDs[i] = sp.SPDXID
		doc.Packages = append(doc.Packages, sp)
	}
	for i, p := range inv.Packages {
		parent := imageID
		if p.Parent >= 0 {
			parent = pkgIDs[p.Parent]
		}
		doc.Relationships = append(doc.Relationships, spdxRelationship{parent, "CONTAINS", pkgIDs[i]})
	}
	for _, f := range inv.Files {
		id := ids.id("File", f.Path)
		doc.Files = append(doc.Files, spdxFile{
			SPDXID: id, FileName: "./" + f.Path, FileTypes: []string{"BINARY"},
			Checksums:        []spdxChecksum{{"SHA1", f.SHA1}, {"SHA256", f.SHA256}},
			LicenseConcluded: "NOASSERTION", CopyrightText: "NOASSERTION",
			Comment: inv.where(f.Layer, f.Path),
		})
		parent := imageID
		if f.Owner >= 0 {
			parent = pkgIDs[f.Owner]
		}
		doc.Relationships = append(doc.Relationships, spdxRelationship{parent, "CONTAINS", id})
	}
	var refList []string
	for r := range refs {
		refList = append(refList, r)
	}
	sort.Strings(refList)
	for _, r := range refList {
		name := strings.TrimPrefix(r, LicenseRefPrefix)
		doc.Extracted = append(doc.Extracted, spdxExtracted{
			LicenseID: r, Name: name,
			ExtractedText: "A license named \"" + name + "\" by the package's own metadata, which has no SPDX identifier here; see the package's copyright or license file.",
		})
	}
	body, err := encodeJSON(doc)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	doc.DocumentNamespace = NamespaceBase + "/sha256-" + strings.TrimPrefix(inv.Digest, "sha256:") + "/" + hex.EncodeToString(sum[:])
	return encodeJSON(doc)
}

// licenseRefs lists the LicenseRefs an expression uses.
func licenseRefs(expr string) []string {
	var out []string
	for _, t := range tokenizeLicense(expr) {
		if strings.HasPrefix(t, LicenseRefPrefix) {
			out = append(out, t)
		}
	}
	return out
}

// encodeJSON indents by two spaces, ends with a newline and does not
// escape HTML characters.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding SBOM: %w", err)
	}
	return buf.Bytes(), nil
}
