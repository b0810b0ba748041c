// Package cli dispatches `odptool <noun> <verb>` to the command that
// implements it. Each noun lives in a file of its own and registers its
// verbs from init, so that commands can be added without touching this file.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// ErrUsage is returned after a usage message has already been printed.
var ErrUsage = errors.New("usage")

// ExitError carries a specific exit code (for example `image diff`, whose
// exit status 1 means "different" rather than "failed").
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode maps an error returned by Run to the process exit status.
func ExitCode(err error) int {
	var ee *ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, ErrUsage):
		return 2
	default:
		return 1
	}
}

// Env is what a command may use of the outside world. Commands never read
// os.Stdout or os.Getenv directly, so that tests can run them in-process.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
	// Getenv looks up an environment variable; nil means none are set.
	Getenv func(string) string
}

func (e *Env) getenv(key string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(key)
}

// Command is one `odptool <noun> <verb>`, or a one-word command
// (`odptool version`) when Verb is empty.
type Command struct {
	Noun, Verb string
	// Args is the synopsis after the flags, e.g. "[flags] IN.deb".
	Args string
	// Summary is one line for `odptool help`.
	Summary string
	// Help is the long description printed by --help above the flags.
	Help string
	// Flags declares the command's flags on fs and returns the function
	// that runs it with the remaining positional arguments.
	Flags func(fs *flag.FlagSet, env *Env) func(args []string) error
}

var commands = map[string]*Command{}

func register(c *Command) {
	key := strings.TrimSpace(c.Noun + " " + c.Verb)
	if _, dup := commands[key]; dup {
		panic("cli: duplicate command " + key)
	}
	commands[key] = c
}

// Run runs odptool with args (without the program name).
func Run(args []string, stdout, stderr io.Writer) error {
	return RunEnv(args, &Env{Stdout: stdout, Stderr: stderr, Getenv: osGetenv})
}

// RunEnv is Run with an explicit environment.
func RunEnv(args []string, env *Env) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printOverview(env.Stdout)
		if len(args) == 0 {
			return ErrUsage
		}
		return nil
	}
	if one, ok := commands[args[0]]; ok && one.Verb == "" {
		return runCommand(one, args[1:], env)
	}
	if len(args) < 2 || strings.HasPrefix(args[1], "-") {
		if nounExists(args[0]) {
			printOverview(env.Stderr)
			fmt.Fprintf(env.Stderr, "\nodptool %s: missing verb\n", args[0])
			return ErrUsage
		}
		fmt.Fprintf(env.Stderr, "odptool: unknown command %q (run 'odptool help')\n", args[0])
		return ErrUsage
	}
	cmd, ok := commands[args[0]+" "+args[1]]
	if !ok {
		fmt.Fprintf(env.Stderr, "odptool: unknown command %q (run 'odptool help')\n", args[0]+" "+args[1])
		return ErrUsage
	}
	return runCommand(cmd, args[2:], env)
}

func runCommand(cmd *Command, args []string, env *Env) error {
	name := strings.TrimSpace("odptool " + cmd.Noun + " " + cmd.Verb)
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	run := cmd.Flags(fs, env)
	usage := func(out io.Writer) {
		fs.SetOutput(out)
		fmt.Fprintf(out, "Usage: %s %s\n\n", name, cmd.Args)
		if cmd.Help != "" {
			fmt.Fprintln(out, strings.TrimSpace(cmd.Help))
			fmt.Fprintln(out)
		}
		fmt.Fprintln(out, "Flags:")
		fs.PrintDefaults()
	}
	// The flag package would print the usage itself on -help and on errors;
	// we print it once, to stdout for -help and to stderr otherwise.
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(env.Stdout)
			return nil
		}
		usage(env.Stderr)
		return ErrUsage
	}
	if err := run(fs.Args()); err != nil {
		if errors.Is(err, ErrUsage) {
			usage(env.Stderr)
		}
		return err
	}
	return nil
}

func nounExists(noun string) bool {
	for _, c := range commands {
		if c.Noun == noun {
			return true
		}
	}
	return false
}

func printOverview(w io.Writer) {
	fmt.Fprintln(w, "Usage: odptool <noun> <verb> [flags] [args]   (each verb has --help)")
	fmt.Fprintln(w)
	keys := make([]string, 0, len(commands))
	for k := range commands {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-22s %s\n", k, commands[k].Summary)
	}
}

// usagef reports a usage error: the message and then the command's usage.
func usagef(env *Env, format string, a ...any) error {
	fmt.Fprintf(env.Stderr, "error: "+format+"\n\n", a...)
	return ErrUsage
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
