"""Finding and running the host's Go toolchain from repository rules.

Part of the offline Bazel 4 harness (see docs/bazel.md). The host Go is the
one named by the GOROOT environment variable (pass it with
`--repo_env=GOROOT=...`), else the first `go` on PATH. Nothing here names a
path of a particular machine.
"""

# Environment variables that change which Go is used or how modules are
# fetched. Repository rules list them in `environ` so that a change re-runs
# them.
HOST_GO_ENVIRON = ["GOROOT"]

def host_go(rctx):
    """Returns the path of the host's `go` binary.

    Args:
      rctx: repository_ctx.

    Returns:
      The path of the go binary.
    """
    goroot = rctx.os.environ.get("GOROOT", "")
    if goroot:
        go = rctx.path(goroot + "/bin/go")
        if not go.exists:
            fail("GOROOT is %r but %s does not exist; unset GOROOT or point it at a Go installation" % (goroot, go))
        return go
    go = rctx.which("go")
    if not go:
        fail("no `go` on PATH; install Go >= 1.25 or pass --repo_env=GOROOT=<path of a Go installation>")
    return go

def go_env(extra = {}):
    """Returns the environment for running the host go command at fetch time.

    Args:
      extra: additional variables.

    Returns:
      A dict of environment variables.
    """
    env = {
        # Never download another toolchain: only the host Go is trusted here.
        "GOTOOLCHAIN": "local",
        # A go.work above the output base must not change module resolution.
        "GOWORK": "off",
        # Host GOFLAGS (e.g. -mod=vendor) must not leak into fetch-time commands.
        "GOFLAGS": "",
    }
    env.update(extra)
    return env

def execute_or_fail(rctx, args, what, environment = {}, working_directory = "", timeout = 3600):
    """Runs a command and fails the fetch with its output if it fails.

    Args:
      rctx: repository_ctx.
      args: the command line.
      what: what the command does, for the error message.
      environment: extra environment variables.
      working_directory: where to run it ("" is the repository root).
      timeout: in seconds.

    Returns:
      The exec_result.
    """
    result = rctx.execute(
        args,
        environment = environment,
        working_directory = working_directory,
        timeout = timeout,
    )
    if result.return_code != 0:
        fail("%s failed (exit %d): %s\n%s%s" % (
            what,
            result.return_code,
            " ".join([str(a) for a in args]),
            result.stdout,
            result.stderr,
        ))
    return result
