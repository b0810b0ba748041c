package cacerts_test

import (
	"bytes"
	"encoding/pem"
	"testing"

	"github.com/rules-odp/rules_odp/tools/internal/cacerts"
)

func FuzzParsePEM(f *testing.F) {
	good := testCert(f, 1)
	f.Add(good)
	f.Add(bytes.TrimRight(good, "\n"))
	f.Add(bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n")))
	f.Add(append([]byte("\n\n"), good...))
	f.Add(append([]byte("comment\n"), good...))
	f.Add(append(append([]byte{}, good...), good...))
	f.Add(append(append([]byte{}, good...), "trailing"...))
	f.Add(bytes.Replace(good, []byte("CERTIFICATE"), []byte("TRUSTED CERTIFICATE"), 2))
	f.Add(bytes.Replace(good, []byte("-----\n"), []byte("-----\nProc-Type: 4,ENCRYPTED\n\n"), 1))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		cert, err := cacerts.ParsePEM(data)
		if err != nil {
			if cert != nil {
				t.Fatal("certificate returned with an error")
			}
			return
		}
		// Success means exactly one headerless CERTIFICATE block holding
		// the certificate's DER, and only white space besides.
		block, rest := pem.Decode(data)
		if block == nil || block.Type != "CERTIFICATE" || len(block.Headers) != 0 {
			t.Fatalf("accepted, but pem.Decode finds %+v", block)
		}
		if !bytes.Equal(block.Bytes, cert.Raw) {
			t.Fatal("accepted, but the certificate is not the block's DER")
		}
		if len(bytes.TrimSpace(rest)) != 0 || bytes.Count(data, []byte("-----BEGIN")) != 1 {
			t.Fatal("accepted data with more than one block or trailing data")
		}
		if !bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN CERTIFICATE-----")) {
			t.Fatal("accepted data with text before the block")
		}
	})
}
