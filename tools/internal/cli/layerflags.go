package cli

import (
	"flag"
	"fmt"

	"github.com/rules-odp/rules_odp/tools/internal/layer"
)

// layerOptionFlags are the flags every layer-writing verb shares.
type layerOptionFlags struct {
	env         *Env
	epoch       *string
	gzipLevel   *int
	keepSpecial *bool
}

func layerFlags(fs *flag.FlagSet, env *Env) *layerOptionFlags {
	return &layerOptionFlags{
		env:         env,
		epoch:       fs.String("source-date-epoch", "", "mtime of every entry, seconds since the epoch (default: $SOURCE_DATE_EPOCH, else 0)"),
		gzipLevel:   fs.Int("gzip-level", layer.DefaultGzipLevel, "gzip level 1-9 for *.tar.gz outputs"),
		keepSpecial: fs.Bool("keep-special-bits", false, "keep setuid, setgid and sticky bits (dropped by default)"),
	}
}

// options builds layer.Options for an output file name. The mtime comes
// from --source-date-epoch, else $SOURCE_DATE_EPOCH, else 0; a malformed
// value is an error rather than silently 0.
func (f *layerOptionFlags) options(out string) (layer.Options, error) {
	c, err := layer.CompressionForPath(out)
	if err != nil {
		return layer.Options{}, err
	}
	opts := layer.Options{Compression: c, GzipLevel: *f.gzipLevel, KeepSpecialBits: *f.keepSpecial}
	epoch, source := *f.epoch, "--source-date-epoch"
	if epoch == "" {
		epoch, source = f.env.getenv("SOURCE_DATE_EPOCH"), "$SOURCE_DATE_EPOCH"
	}
	if epoch != "" {
		if opts.MTime, err = layer.ParseSourceDateEpoch(epoch); err != nil {
			return layer.Options{}, fmt.Errorf("%s: %w", source, err)
		}
	}
	return opts, nil
}

// printResult reports a written layer: one line, path then digests.
func printResult(env *Env, out string, res layer.Result) error {
	_, err := fmt.Fprintf(env.Stdout, "%s digest=%s diff_id=%s size=%d\n", out, res.Digest, res.DiffID, res.Size)
	return err
}
