package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Attestation formats: DSSE (secure-systems-lab/dsse) envelopes of
// in-toto statements, stored by cosign as layers of the .att manifest.
const (
	// PayloadTypeInToto is the DSSE payloadType of an in-toto statement.
	PayloadTypeInToto = "application/vnd.in-toto+json"
	// MediaTypeDSSE is the media type of an attestation layer.
	MediaTypeDSSE = "application/vnd.dsse.envelope.v1+json"
	// AnnotationPredicateType is the layer annotation cosign sets to the
	// statement's predicateType.
	AnnotationPredicateType = "predicateType"
	// StatementType is the in-toto statement type we write.
	StatementType = "https://in-toto.io/Statement/v1"
	// statementTypeV01 is the older type cosign writes; accepted in input.
	statementTypeV01 = "https://in-toto.io/Statement/v0.1"
)

// PredicateTypes maps the names `cosign attest --type` and
// `cosign verify-attestation --type` take to predicate type URIs.
var PredicateTypes = map[string]string{
	"slsaprovenance1": "https://slsa.dev/provenance/v1",
	"spdxjson":        "https://spdx.dev/Document",
	"cyclonedx":       "https://cyclonedx.org/bom",
}

// PredicateTypeNames lists the keys of PredicateTypes, sorted.
func PredicateTypeNames() []string {
	var names []string
	for n := range PredicateTypes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ParsePredicateType maps a --type name to its URI.
func ParsePredicateType(name string) (string, error) {
	if uri, ok := PredicateTypes[name]; ok {
		return uri, nil
	}
	return "", fmt.Errorf("predicate type %q is not one of %s", name, strings.Join(PredicateTypeNames(), ", "))
}

// Envelope is a DSSE envelope as cosign writes it.
type Envelope struct {
	PayloadType string              `json:"payloadType"`
	Payload     string              `json:"payload"`
	Signatures  []EnvelopeSignature `json:"signatures"`
}

// EnvelopeSignature is one signature of an envelope.
type EnvelopeSignature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

// PAE is DSSE's pre-authentication encoding, the bytes that are signed.
func PAE(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(payload)))
	b.WriteByte(' ')
	b.Write(payload)
	return b.Bytes()
}

// SignEnvelope signs an in-toto statement into a DSSE envelope (the JSON
// bytes of the attestation layer). The key ID is left empty, as cosign
// leaves it.
func SignEnvelope(ctx context.Context, s Signer, statement []byte) ([]byte, error) {
	sig, err := s.Sign(ctx, PAE(PayloadTypeInToto, statement))
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(Envelope{
		PayloadType: PayloadTypeInToto,
		Payload:     base64.StdEncoding.EncodeToString(statement),
		Signatures:  []EnvelopeSignature{{KeyID: "", Sig: base64.StdEncoding.EncodeToString(sig)}},
	})
	if err != nil {
		return nil, fmt.Errorf("encoding envelope: %w", err)
	}
	return b, nil
}

// Statement is the part of an in-toto statement we check.
type Statement struct {
	Type          string             `json:"_type"`
	Subject       []StatementSubject `json:"subject"`
	PredicateType string             `json:"predicateType"`
	Predicate     json.RawMessage    `json:"predicate"`
}

// StatementSubject is one subject of a statement.
type StatementSubject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// ParseEnvelope reads a DSSE envelope of an in-toto statement.
func ParseEnvelope(data []byte) (*Envelope, []byte, error) {
	if len(data) > maxPayload {
		return nil, nil, fmt.Errorf("envelope is larger than %d bytes", maxPayload)
	}
	var e Envelope
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, nil, fmt.Errorf("envelope is not JSON: %w", err)
	}
	if e.PayloadType != PayloadTypeInToto {
		return nil, nil, fmt.Errorf("envelope payloadType is %q, want %q", e.PayloadType, PayloadTypeInToto)
	}
	payload, err := base64.StdEncoding.DecodeString(e.Payload)
	if err != nil {
		return nil, nil, fmt.Errorf("envelope payload is not standard base64: %w", err)
	}
	if len(e.Signatures) == 0 {
		return nil, nil, errors.New("envelope has no signatures")
	}
	return &e, payload, nil
}

// VerifyEnvelope checks that some signature of the envelope verifies with
// pub (under any algorithm the key can make) and returns its statement,
// which must be about digest and of predicateType (if not empty).
func VerifyEnvelope(data []byte, pub crypto.PublicKey, digest, predicateType string) (*Statement, error) {
	e, payload, err := ParseEnvelope(data)
	if err != nil {
		return nil, err
	}
	pae := PAE(e.PayloadType, payload)
	verified := false
	for _, s := range e.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			continue
		}
		if verifyAny(pub, pae, sig) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return nil, errors.New("no signature of the envelope verifies with the public key")
	}
	st, err := parseStatement(payload)
	if err != nil {
		return nil, err
	}
	if predicateType != "" && st.PredicateType != predicateType {
		return nil, fmt.Errorf("statement predicateType is %q, want %q", st.PredicateType, predicateType)
	}
	if !st.about(digest) {
		return nil, fmt.Errorf("statement has no subject with digest %s", digest)
	}
	return st, nil
}

// verifyAny verifies with every algorithm pub's type allows.
func verifyAny(pub crypto.PublicKey, msg, sig []byte) error {
	var algs []Algorithm
	switch pub.(type) {
	case *ecdsa.PublicKey:
		algs = []Algorithm{ECDSAP256SHA256}
	case *rsa.PublicKey:
		algs = []Algorithm{RSASSAPKCS1V15SHA256, RSASSAPSSSHA256}
	default:
		return fmt.Errorf("unsupported public key type %T", pub)
	}
	var err error
	for _, a := range algs {
		if err = VerifyWith(pub, a, msg, sig); err == nil {
			return nil
		}
	}
	return err
}

func parseStatement(b []byte) (*Statement, error) {
	var st Statement
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("statement is not JSON: %w", err)
	}
	if st.Type != StatementType && st.Type != statementTypeV01 {
		return nil, fmt.Errorf("statement _type %q is not an in-toto statement (want %s)", st.Type, StatementType)
	}
	if st.PredicateType == "" {
		return nil, errors.New("statement has no predicateType")
	}
	if len(st.Predicate) == 0 || st.Predicate[0] != '{' {
		return nil, errors.New("statement predicate is not a JSON object")
	}
	return &st, nil
}

// about reports whether a subject carries digest (sha256:HEX).
func (st *Statement) about(digest string) bool {
	hexDigest, ok := strings.CutPrefix(digest, "sha256:")
	if !ok {
		return false
	}
	for _, s := range st.Subject {
		if s.Digest["sha256"] == hexDigest {
			return true
		}
	}
	return false
}

// NewStatement returns the in-toto statement to attest for
// repository@digest. If predicate is already an in-toto statement (as
// `odptool provenance write` writes), it is used as it is, after checking
// that its predicateType is predicateType and that a subject carries
// digest. Otherwise predicate must be a JSON object, which becomes the
// predicate of a statement whose one subject is repository with digest,
// as `cosign attest --predicate` makes it.
func NewStatement(predicate []byte, predicateType, repository, digest string) ([]byte, error) {
	if !digestRE.MatchString(digest) {
		return nil, fmt.Errorf("image digest %q is not sha256:<64 hex digits>", digest)
	}
	if len(predicate) > maxPayload {
		return nil, fmt.Errorf("predicate is larger than %d bytes", maxPayload)
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(predicate, &probe); err != nil {
		return nil, fmt.Errorf("predicate is not a JSON object: %w", err)
	}
	if probe == nil {
		return nil, errors.New("predicate is not a JSON object: null")
	}
	if _, isStatement := probe["_type"]; isStatement {
		st, err := parseStatement(predicate)
		if err != nil {
			return nil, err
		}
		if st.PredicateType != predicateType {
			return nil, fmt.Errorf("statement predicateType is %q, but the attestation is to be %q", st.PredicateType, predicateType)
		}
		if !st.about(digest) {
			return nil, fmt.Errorf("statement has no subject with digest %s (it is about another image)", digest)
		}
		return predicate, nil
	}
	hexDigest := strings.TrimPrefix(digest, "sha256:")
	st := struct {
		Type          string             `json:"_type"`
		Subject       []StatementSubject `json:"subject"`
		PredicateType string             `json:"predicateType"`
		Predicate     json.RawMessage    `json:"predicate"`
	}{
		Type:          StatementType,
		Subject:       []StatementSubject{{Name: repository, Digest: map[string]string{"sha256": hexDigest}}},
		PredicateType: predicateType,
		Predicate:     predicate,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(st); err != nil {
		return nil, fmt.Errorf("encoding statement: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// hexOf is the hex of a sha256:HEX digest.
func hexOf(digest string) string { return strings.TrimPrefix(digest, "sha256:") }
