package cacerts

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

const (
	pemBegin = "-----BEGIN"
	pemEnd   = "-----END"
	pemType  = "CERTIFICATE"
)

// ParsePEM checks that data is exactly one PEM CERTIFICATE block, with
// nothing but white space around it and no headers, whose DER crypto/x509
// parses, and returns the certificate.
//
// encoding/pem alone is too lenient for this: it skips text before a
// block and skips malformed blocks to find a later one, so a file whose
// first certificate is corrupt would still decode.
func ParsePEM(data []byte) (*x509.Certificate, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("empty certificate file")
	}
	if !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte(pemBegin)) {
		return nil, errors.New("not PEM: the file does not start with a -----BEGIN line")
	}
	if n := bytes.Count(data, []byte(pemBegin)); n != 1 {
		return nil, fmt.Errorf("want exactly one PEM block, found %d -----BEGIN lines", n)
	}
	if n := bytes.Count(data, []byte(pemEnd)); n != 1 {
		return nil, fmt.Errorf("want exactly one PEM block, found %d -----END lines", n)
	}
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("malformed PEM block")
	}
	if block.Type != pemType {
		return nil, fmt.Errorf("PEM block is %q, want %q", block.Type, pemType)
	}
	if len(block.Headers) != 0 {
		return nil, fmt.Errorf("PEM block has %d headers, want none", len(block.Headers))
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%d bytes of trailing data after the PEM block", len(bytes.TrimSpace(rest)))
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing the certificate: %w", err)
	}
	return cert, nil
}
