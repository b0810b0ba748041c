package cli

import (
	"flag"
	"fmt"

	"github.com/rules-odp/rules_odp/tools/internal/cacerts"
)

func init() {
	register(&Command{
		Noun: "deb", Verb: "cacerts",
		Args:    "--out LAYER.tar[.gz] [flags] CA_CERTIFICATES.deb",
		Summary: "write the CA bundle layer made from Debian's ca-certificates package",
		Help: `Writes one deterministic layer holding only
/etc/ssl/certs/ca-certificates.crt (0644) and its parent directories,
byte for byte the bundle that the package's postinst would make with
update-ca-certificates: every *.crt regular file under
/usr/share/ca-certificates, sorted bytewise by path, concatenated, a
newline added after any file not ending in one. Maintainer scripts never
run in a repacked image, so without this layer the bundle is missing.
Each certificate file must be one PEM CERTIFICATE block that Go's
crypto/x509 parses; anything else, or a package without certificates, is
an error naming the file, and no output is left behind.`,
		Flags: func(fs *flag.FlagSet, env *Env) func([]string) error {
			out := fs.String("out", "", "output layer, *.tar (or *.tar.gz with --compression gzip)")
			lf := layerFlags(fs, env)
			return func(args []string) error {
				if len(args) != 1 {
					return usagef(env, "want exactly one .deb, got %d arguments", len(args))
				}
				if *out == "" {
					return usagef(env, "--out is required")
				}
				opts, err := lf.options(*out)
				if err != nil {
					return err
				}
				b, err := cacerts.ReadFile(args[0])
				if err != nil {
					return err
				}
				res, err := b.WriteLayerFile(*out, opts)
				if err != nil {
					return fmt.Errorf("writing %s: %w", *out, err)
				}
				return printResult(env, *out, res)
			}
		},
	})
}
