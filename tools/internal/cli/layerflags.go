package cli

import (
	"flag"
	"fmt"

	"github.com/rules-odp/rules_odp/tools/internal/fingerprint"
	"github.com/rules-odp/rules_odp/tools/internal/layer"
	"github.com/rules-odp/rules_odp/tools/internal/sde"
)

// layerOptionFlags are the flags every layer-writing verb shares.
type layerOptionFlags struct {
	env         *Env
	epoch       *string
	compression *string
	keepSpecial *bool
}

func layerFlags(fs *flag.FlagSet, env *Env) *layerOptionFlags {
	return &layerOptionFlags{
		env:         env,
		epoch:       sourceDateEpochFlag(fs, "mtime of every entry"),
		compression: compressionFlag(fs),
		keepSpecial: fs.Bool("keep-special-bits", false, "keep setuid, setgid and sticky bits (dropped by default)"),
	}
}

// sourceDateEpochFlag declares --source-date-epoch, read with
// sde.Resolve: the flag, else $SOURCE_DATE_EPOCH, else 0.
func sourceDateEpochFlag(fs *flag.FlagSet, what string) *string {
	return fs.String("source-date-epoch", "", what+": `SECONDS` since the epoch (default: $SOURCE_DATE_EPOCH, else 0)")
}

// compressionFlag declares --compression, the one compression vocabulary.
func compressionFlag(fs *flag.FlagSet) *string {
	return fs.String("compression", "none", "layer compression: none (a plain tar) or gzip (the pinned gzip, level 6)")
}

// options builds layer.Options for an output file name, whose ending must
// agree with --compression. It also runs the fingerprint probes of the
// writer paths the options use: an odptool whose tar or gzip bytes are not
// the golden ones stops here.
func (f *layerOptionFlags) options(out string) (layer.Options, error) {
	c, err := layer.ParseCompression(*f.compression)
	if err != nil {
		return layer.Options{}, fmt.Errorf("--compression: %w", err)
	}
	if out != "" {
		if err := c.CheckName(out); err != nil {
			return layer.Options{}, err
		}
	}
	opts := layer.Options{Compression: c, KeepSpecialBits: *f.keepSpecial}
	if opts.MTime, err = sde.Resolve(*f.epoch, f.env.getenv); err != nil {
		return layer.Options{}, err
	}
	if err := fingerprint.Require(fingerprint.ProbesFor(c == layer.Gzip)...); err != nil {
		return layer.Options{}, err
	}
	return opts, nil
}

// printResult reports a written layer: one line, path then digests.
func printResult(env *Env, out string, res layer.Result) error {
	_, err := fmt.Fprintf(env.Stdout, "%s digest=%s diff_id=%s size=%d\n", out, res.Digest, res.DiffID, res.Size)
	return err
}
