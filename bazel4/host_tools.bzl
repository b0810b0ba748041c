"""The host tools of the harness's java_binary and cc_binary: a JDK >= 17 and clang++ 16.

Bazel's own Java rules need `remote_java_tools` (a download), and its C++
rules would pick the host gcc and libstdc++, while the JNI example must link
against libc++ 16 (the image ships the libc++1-16 / libc++abi1-16 /
libunwind-16 deb layers). So the harness's java_binary and cc_binary
stand-ins (java.bzl, cc.bzl) use the host's `javac`, `jar` and `clang++-16`,
and this repository rule finds those tools once, at fetch time.
`bazel4_repositories()` declares it.

The repository `@odp_host_tools` then holds:

- `:javac`, `:jar`, `:java`: the JDK's tools (symlinks to the host's files);
- `:clangxx`: clang++ 16;
- `:ld`: the linker clang++ runs (the first `ld` on `PATH`, binutils');
- `:jni_headers`: `jni.h` and `linux/jni_md.h` (and the JDK's other headers).

Which tools are used (environment of the Bazel client; pass them with
`--repo_env=NAME=VALUE` to be independent of the shell):

- JDK: `$ODP_JAVA_HOME` if set, else /usr/lib/jvm/java-17-openjdk-amd64 if
  it exists, else `$JAVA_HOME`, else the JDK of the first `javac` on `PATH`.
  Debian's JDK 17 comes before `JAVA_HOME` on purpose: the class files (and
  so the image digests) depend on the JDK, and a developer's `JAVA_HOME`
  must not silently change them. It must be >= 17 and
  its `jar` must support `--date`.
- clang++: `$ODP_CLANGXX` if set, else `clang++-16` on `PATH`, else the
  clang++ of Debian's llvm-16 (/usr/lib/llvm-16/bin), else `clang++` on `PATH`
  if its major version is 16.
- ld: the first `ld` on `PATH`. Actions get no `PATH`, so the compile rules
  hand this one to clang++ (`--ld-path`), which also makes it a declared input.

The generated BUILD file records the tools' versions, which are inputs of
the build like the sources: the same JDK and clang versions give the same
class files and the same shared library, on any machine and in any
directory. Another JDK does not: JDK 25 compiling with `--release 17` writes
other class bytes than JDK 17, so pin the JDK where digests must match.
"""

_JDK_APT = "openjdk-17-jdk-headless"
_CLANG_APT = "clang-16 libc++-16-dev libc++abi-16-dev"
_LD_APT = "binutils"
_CLANG_MAJOR = "16"
_JAVA_MIN_MAJOR = 17
_DEBIAN_JDK17 = "/usr/lib/jvm/java-17-openjdk-amd64"
_DEBIAN_LLVM16_CLANGXX = "/usr/lib/llvm-16/bin/clang++"

def _run(rctx, args, what):
    result = rctx.execute(args, timeout = 120)
    if result.return_code != 0:
        fail("odp_host_tools: %s failed (exit %d): %s\n%s%s" % (
            what,
            result.return_code,
            " ".join([str(a) for a in args]),
            result.stdout,
            result.stderr,
        ))

    # Before JDK 9, `javac -version` printed to stderr.
    return (result.stdout + result.stderr).strip()

def _java_home(rctx):
    """Returns (java_home path, how it was chosen)."""
    explicit = rctx.os.environ.get("ODP_JAVA_HOME", "")
    if explicit:
        return rctx.path(explicit), "ODP_JAVA_HOME"
    debian = rctx.path(_DEBIAN_JDK17)
    if debian.get_child("bin").get_child("javac").exists:
        return debian, "Debian's openjdk-17 location"
    java_home = rctx.os.environ.get("JAVA_HOME", "")
    if java_home:
        return rctx.path(java_home), "JAVA_HOME"
    javac = rctx.which("javac")
    if not javac:
        fail("odp_host_tools: no JDK found (JAVA_HOME unset, no %s, no javac on PATH); " % _DEBIAN_JDK17 +
             "apt-get install -y %s, or pass --repo_env=JAVA_HOME=<a JDK >= %d>" % (_JDK_APT, _JAVA_MIN_MAJOR))

    # /usr/bin/javac is a chain of alternatives symlinks; the JDK is two
    # levels above the real file.
    return javac.realpath.dirname.dirname, "javac on PATH"

def _java_major(version_line):
    """Returns the major version of `javac -version` output, or 0.

    "javac 17.0.21.1" -> 17, "javac 1.8.0_402" -> 8, "javac 21-ea" -> 21.
    """
    words = version_line.split(" ")
    if len(words) < 2:
        return 0
    parts = words[1].replace("-", ".").replace("+", ".").replace("_", ".").split(".")
    if parts[0] == "1" and len(parts) > 1:
        parts = parts[1:]
    if not parts[0].isdigit():
        return 0
    return int(parts[0])

def _find_jdk(rctx):
    java_home, how = _java_home(rctx)
    tools = {}
    for tool in ["javac", "jar", "java"]:
        path = java_home.get_child("bin").get_child(tool)
        if not path.exists:
            fail("odp_host_tools: %s (JDK chosen by %s) has no bin/%s: it is not a JDK; apt-get install -y %s, or point JAVA_HOME at a JDK >= %d" % (
                java_home,
                how,
                tool,
                _JDK_APT,
                _JAVA_MIN_MAJOR,
            ))
        tools[tool] = path
    version = _run(rctx, [tools["javac"], "-version"], "asking the JDK's javac for its version")
    if _java_major(version) < _JAVA_MIN_MAJOR:
        fail("odp_host_tools: %s (JDK chosen by %s) is %r; the examples need a JDK >= %d: apt-get install -y %s, or point JAVA_HOME at one" % (
            java_home,
            how,
            version,
            _JAVA_MIN_MAJOR,
            _JDK_APT,
        ))
    jar_help = _run(rctx, [tools["jar"], "--help"], "asking the JDK's jar for its options")
    if "--date" not in jar_help:
        fail("odp_host_tools: the jar tool of %s (%s) has no --date option (OpenJDK >= 17.0.4 has it); apt-get install -y %s, or point JAVA_HOME at a newer JDK" % (
            java_home,
            version,
            _JDK_APT,
        ))
    include = java_home.get_child("include")
    for header in ["jni.h", "linux/jni_md.h"]:
        if not rctx.path("%s/%s" % (include, header)).exists:
            fail("odp_host_tools: %s (JDK chosen by %s) has no include/%s: it is a JRE, not a JDK; apt-get install -y %s" % (
                java_home,
                how,
                header,
                _JDK_APT,
            ))
    return struct(home = java_home, how = how, tools = tools, version = version, include = include)

def _clang_version(rctx, clangxx):
    """Returns (first line of --version, major version as a string)."""
    first = _run(rctx, [clangxx, "--version"], "asking %s for its version" % clangxx).split("\n")[0]

    # "Debian clang version 16.0.6 (15~deb12u1)", "clang version 16.0.6", ...
    marker = "clang version "
    i = first.find(marker)
    if i < 0:
        return first, ""
    return first, first[i + len(marker):].split(".")[0]

def _find_clangxx(rctx):
    explicit = rctx.os.environ.get("ODP_CLANGXX", "")
    if explicit:
        candidates = [(rctx.path(explicit), "ODP_CLANGXX")]
    else:
        candidates = []
        versioned = rctx.which("clang++-" + _CLANG_MAJOR)
        if versioned:
            candidates.append((versioned, "clang++-%s on PATH" % _CLANG_MAJOR))
        debian = rctx.path(_DEBIAN_LLVM16_CLANGXX)
        if debian.exists:
            candidates.append((debian, "Debian's llvm-%s location" % _CLANG_MAJOR))
        plain = rctx.which("clang++")
        if plain:
            candidates.append((plain, "clang++ on PATH"))
    seen = []
    for path, how in candidates:
        if not path.exists:
            fail("odp_host_tools: %s is %s, which does not exist" % (how, path))
        version, major = _clang_version(rctx, path)
        if major == _CLANG_MAJOR:
            return struct(path = path, how = how, version = version)
        seen.append("%s (%s): %r" % (path, how, version))
    if explicit:
        looked = "ODP_CLANGXX"
    else:
        looked = "clang++-%s and clang++ on PATH, %s" % (_CLANG_MAJOR, _DEBIAN_LLVM16_CLANGXX)
    fail("odp_host_tools: no clang++ %s found (looked at %s); found instead:%s\napt-get install -y %s, or pass --repo_env=ODP_CLANGXX=<path of clang++ %s>" % (
        _CLANG_MAJOR,
        looked,
        "".join(["\n  " + s for s in seen]) or " nothing",
        _CLANG_APT,
        _CLANG_MAJOR,
    ))

def _find_ld(rctx):
    ld = rctx.which("ld")
    if not ld:
        fail("odp_host_tools: no ld on PATH; apt-get install -y %s" % _LD_APT)
    version = _run(rctx, [ld, "--version"], "asking %s for its version" % ld).split("\n")[0]
    return struct(path = ld, version = version)

def _odp_host_tools_impl(rctx):
    jdk = _find_jdk(rctx)
    clang = _find_clangxx(rctx)
    ld = _find_ld(rctx)

    for tool, path in jdk.tools.items():
        rctx.symlink(path, "bin/" + tool)

    # The link keeps the name clang++ so that clang also runs in C++ mode by
    # its name; it resolves its own installation (headers, libc++) through
    # /proc/self/exe, not through the link.
    rctx.symlink(clang.path, "bin/clang++")
    rctx.symlink(ld.path, "bin/ld")

    headers = []
    for sub in ["", "linux"]:
        directory = jdk.include.get_child(sub) if sub else jdk.include
        for entry in directory.readdir():
            if entry.basename.endswith(".h"):
                rel = "jni/include/" + (sub + "/" if sub else "") + entry.basename
                rctx.symlink(entry, rel)
                headers.append(rel)

    rctx.file("WORKSPACE", "workspace(name = %r)\n" % rctx.name)
    rctx.file("BUILD.bazel", """# Generated by rules_odp's bazel4/host_tools.bzl (the Bazel 4 harness).
# Host tools found at fetch time; their versions are inputs of the build.
#
# JDK (chosen by {jdk_how}): {jdk_version}
# clang++ (chosen by {clang_how}): {clang_version}
# ld: {ld_version}

package(default_visibility = ["//visibility:public"])

exports_files(["bin/javac", "bin/jar", "bin/java", "bin/clang++", "bin/ld"])

alias(
    name = "javac",
    actual = "bin/javac",
)

alias(
    name = "jar",
    actual = "bin/jar",
)

alias(
    name = "java",
    actual = "bin/java",
)

alias(
    name = "clangxx",
    actual = "bin/clang++",
)

alias(
    name = "ld",
    actual = "bin/ld",
)

filegroup(
    name = "jni_headers",
    srcs = [
{headers}    ],
)
""".format(
        jdk_how = jdk.how,
        jdk_version = jdk.version,
        clang_how = clang.how,
        clang_version = clang.version,
        ld_version = ld.version,
        headers = "".join(["        %r,\n" % h for h in sorted(headers)]),
    ))

odp_host_tools = repository_rule(
    implementation = _odp_host_tools_impl,
    doc = """Links the host's JDK (>= 17), clang++ 16 and ld into a repository.

See the file's doc for what is looked up where and the targets it defines.
A tool that is missing or has the wrong version fails the fetch with the
apt package to install.""",
    environ = ["JAVA_HOME", "ODP_CLANGXX", "ODP_JAVA_HOME", "PATH"],
    local = True,
)
