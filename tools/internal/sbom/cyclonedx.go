package sbom

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

type cdxBOM struct {
	BOMFormat    string         `json:"bomFormat"`
	SpecVersion  string         `json:"specVersion"`
	SerialNumber string         `json:"serialNumber"`
	Version      int            `json:"version"`
	Metadata     cdxMetadata    `json:"metadata"`
	Components   []cdxComponent `json:"components"`
}

type cdxMetadata struct {
	Timestamp string       `json:"timestamp"`
	Tools     cdxTools     `json:"tools"`
	Component cdxComponent `json:"component"`
}

type cdxTools struct {
	Components []cdxComponent `json:"components"`
}

type cdxHash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

type cdxLicense struct {
	Expression string `json:"expression"`
}

type cdxProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type cdxPedigree struct {
	Ancestors []cdxComponent `json:"ancestors"`
}

type cdxComponent struct {
	BOMRef     string         `json:"bom-ref,omitempty"`
	Type       string         `json:"type"`
	Group      string         `json:"group,omitempty"`
	Name       string         `json:"name"`
	Version    string         `json:"version,omitempty"`
	Hashes     []cdxHash      `json:"hashes,omitempty"`
	Licenses   []cdxLicense   `json:"licenses,omitempty"`
	PURL       string         `json:"purl,omitempty"`
	Pedigree   *cdxPedigree   `json:"pedigree,omitempty"`
	Properties []cdxProperty  `json:"properties,omitempty"`
	Components []cdxComponent `json:"components,omitempty"`
}

// CycloneDX renders the inventory as a CycloneDX 1.5 JSON BOM. Nested
// jars are components of their jar, a Debian package's native libraries
// components of the package, the base image the image's pedigree
// ancestor. The serialNumber is the name-based (version 5) UUID of the
// BOM rendered without it, so equal inputs give equal bytes.
func (inv *Inventory) CycloneDX(meta Meta) ([]byte, error) {
	version := meta.ToolVersion
	img := cdxComponent{
		BOMRef: "image", Type: "container", Name: inv.Name, Version: inv.Digest,
		Hashes:     []cdxHash{{"SHA-256", strings.TrimPrefix(inv.Digest, "sha256:")}},
		Properties: []cdxProperty{{"rules_odp:image-id", inv.ConfigDigest}},
	}
	if isRepository(inv.Name) {
		img.PURL = OCIPURL(inv.Name, inv.Digest)
	}
	if b := inv.Base; b != nil {
		anc := cdxComponent{BOMRef: "base", Type: "container", Name: b.Name, Version: b.Digest,
			Hashes: []cdxHash{{"SHA-256", strings.TrimPrefix(b.Digest, "sha256:")}}}
		if isRepository(b.Name) {
			anc.PURL = OCIPURL(b.Name, b.Digest)
		}
		if b.Layers > 0 {
			anc.Properties = []cdxProperty{{"rules_odp:base-layers", strconv.Itoa(b.Layers)}}
		}
		img.Pedigree = &cdxPedigree{Ancestors: []cdxComponent{anc}}
	}
	bom := cdxBOM{
		BOMFormat: "CycloneDX", SpecVersion: "1.5", Version: 1,
		Metadata: cdxMetadata{
			Timestamp: meta.created(),
			Tools:     cdxTools{Components: []cdxComponent{{Type: "application", Name: "odptool", Version: version}}},
			Component: img,
		},
	}
	comps := make([]cdxComponent, len(inv.Packages))
	for i, p := range inv.Packages {
		c := cdxComponent{
			BOMRef: fmt.Sprintf("pkg-%d", i+1), Type: "library", Group: p.Group, Name: p.Name, Version: p.Version, PURL: p.PURL,
			Properties: []cdxProperty{
				{"rules_odp:kind", string(p.Kind)},
				{"rules_odp:layer", inv.Layers[p.Layer].Digest},
				{"rules_odp:path", p.Path},
			},
		}
		if p.SHA1 != "" {
			c.Hashes = append(c.Hashes, cdxHash{"SHA-1", p.SHA1})
		}
		if p.SHA256 != "" {
			c.Hashes = append(c.Hashes, cdxHash{"SHA-256", p.SHA256})
		}
		if p.License != "" {
			c.Licenses = []cdxLicense{{p.License}}
		}
		if p.Kind == KindDeb {
			c.Properties = append(c.Properties, cdxProperty{"rules_odp:deb:source", p.Source + " " + p.SourceVersion})
		}
		comps[i] = c
	}
	owned := make([][]cdxComponent, len(inv.Packages))
	var loose []cdxComponent
	for i, f := range inv.Files {
		c := cdxComponent{
			BOMRef: fmt.Sprintf("file-%d", i+1), Type: "file", Name: f.Path,
			Hashes:     []cdxHash{{"SHA-1", f.SHA1}, {"SHA-256", f.SHA256}},
			Properties: []cdxProperty{{"rules_odp:layer", inv.Layers[f.Layer].Digest}},
		}
		if f.Owner >= 0 {
			owned[f.Owner] = append(owned[f.Owner], c)
		} else {
			loose = append(loose, c)
		}
	}
	// Attach children bottom-up: packages are sorted, so a child may
	// come before or after its parent; build the tree recursively.
	children := make([][]int, len(inv.Packages))
	var roots []int
	for i, p := range inv.Packages {
		if p.Parent >= 0 {
			children[p.Parent] = append(children[p.Parent], i)
		} else {
			roots = append(roots, i)
		}
	}
	var tree func(i int) cdxComponent
	tree = func(i int) cdxComponent {
		c := comps[i]
		c.Components = append(c.Components, owned[i]...)
		for _, ch := range children[i] {
			c.Components = append(c.Components, tree(ch))
		}
		return c
	}
	bom.Components = []cdxComponent{}
	for _, r := range roots {
		bom.Components = append(bom.Components, tree(r))
	}
	bom.Components = append(bom.Components, loose...)

	body, err := encodeJSON(bom)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	bom.SerialNumber = "urn:uuid:" + uuidV5(hex.EncodeToString(sum[:]))
	return encodeJSON(bom)
}

// uuidV5 is the RFC 4122 name-based UUID (SHA-1) of name in the URL
// namespace.
func uuidV5(name string) string {
	ns := []byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	h := sha1.New()
	h.Write(ns)
	h.Write([]byte(NamespaceBase + "/" + name))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	x := hex.EncodeToString(u)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
