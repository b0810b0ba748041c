"""cc_binary(linkshared = True) of the Bazel 4 harness: clang++ 16 with libc++.

Bazel 4's cc rules would use the host gcc and libstdc++; the JNI examples
must link against libc++ 16, whose runtime the image ships as deb layers
(libc++1-16, libc++abi1-16, libunwind-16), as the seed's hermetic LLVM 16
toolchain does. So the harness's `@rules_cc//cc:defs.bzl` stand-in
(bazel4/stubs.bzl) builds `cc_binary(linkshared = True)` with the host
clang++ 16 that `@odp_host_tools` found (see host_tools.bzl), run without a
shell: one compile action per source, one link action. Other cc_binary
targets go to Bazel's native rule.
"""

# -stdlib=libc++ also at link time: that is what makes the library depend
# on libc++.so.1, libc++abi.so.1 and libunwind.so.1 (Debian's libc++.so is a
# linker script naming all three).
_COMMON_FLAGS = [
    # The link to the compiler is named clang++, but say it anyway.
    "--driver-mode=g++",
    "-stdlib=libc++",
    "-fPIC",
]

# No -g: debug info would hold the compilation directory, an absolute path.
_COMPILE_FLAGS = [
    "-std=c++17",
    "-O2",
    "-fvisibility=hidden",
    "-Wall",
    "-Wextra",
    "-Werror",
]

_SOURCE_EXTENSIONS = [".cc", ".cpp", ".cxx"]
_HEADER_EXTENSIONS = [".h", ".hh", ".hpp", ".hxx", ".inc"]

def _object_name(ctx, src):
    stem = src.short_path
    for ext in _SOURCE_EXTENSIONS:
        if stem.endswith(ext):
            stem = stem[:-len(ext)]
    if stem.startswith("../"):
        # A source of another repository.
        stem = "external/" + stem[3:]
    return "_objs/%s/%s.o" % (ctx.label.name, stem)

def _host_cc_shared_library_impl(ctx):
    out_name = ctx.label.name
    if "/" in out_name or not out_name.startswith("lib") or not out_name.endswith(".so"):
        fail("name: %r must be a file name of the form lib<name>.so (no directory), e.g. libaggregation-jni.so" % out_name)
    for opt in ctx.attr.copts:
        if opt.startswith("-g") and opt != "-g0":
            fail("copts: %r would write debug info, which holds absolute build paths; remove it" % opt)

    include_dirs = []
    for h in ctx.files._jni_headers:
        if h.dirname not in include_dirs:
            include_dirs.append(h.dirname)

    compile_inputs = ctx.files.hdrs + ctx.files._jni_headers
    objects = []
    for src in ctx.files.srcs:
        obj = ctx.actions.declare_file(_object_name(ctx, src))
        args = ctx.actions.args()
        args.add_all(_COMMON_FLAGS)
        args.add_all(_COMPILE_FLAGS)
        args.add_all(include_dirs, before_each = "-isystem")
        args.add_all(ctx.attr.copts)
        args.add_all(["-c", src.path, "-o", obj.path])
        ctx.actions.run(
            executable = ctx.file._clangxx,
            arguments = [args],
            inputs = [src] + compile_inputs,
            outputs = [obj],
            mnemonic = "HostCxxCompile",
            progress_message = "Compiling %s with the host clang++" % src.short_path,
        )
        objects.append(obj)

    out = ctx.actions.declare_file(out_name)
    args = ctx.actions.args()
    args.add_all(_COMMON_FLAGS)
    args.add("--ld-path=" + ctx.file._ld.path)
    args.add_all([
        "-shared",
        # Content-derived, so deterministic.
        "-Wl,--build-id=sha1",
        "-Wl,-soname," + out_name,
        # An unresolved symbol must fail here, not when the JVM loads it.
        "-Wl,--no-undefined",
        "-o",
        out.path,
    ])
    args.add_all(objects)
    args.add_all(ctx.attr.linkopts)
    ctx.actions.run(
        executable = ctx.file._clangxx,
        arguments = [args],
        inputs = objects + [ctx.file._ld],
        outputs = [out],
        mnemonic = "HostCxxLink",
        progress_message = "Linking %s with the host clang++ and libc++" % out.short_path,
    )

    # In runfiles too, so that tests can take it as data.
    return [DefaultInfo(
        files = depset([out]),
        runfiles = ctx.runfiles(files = [out]),
    )]

_cc_shared_library = rule(
    implementation = _host_cc_shared_library_impl,
    doc = """Compiles C++ sources into one shared library with the host clang++ 16 and libc++.

Meant for JNI libraries: the JDK's JNI headers (`jni.h`, `jni_md.h`) are on
the include path. Every source is compiled with
`-std=c++17 -O2 -fPIC -stdlib=libc++ -fvisibility=hidden -Wall -Wextra -Werror`
(export JNI functions with `JNIEXPORT`), then linked with
`-shared -stdlib=libc++ -Wl,--build-id=sha1 -Wl,--no-undefined` and the
library's name as its SONAME. The library then needs libc++.so.1,
libc++abi.so.1 and libunwind.so.1 at run time. No debug info is written, so
the output holds no path of the build machine: the same sources and the same
clang and libc++ versions give the same bytes.
""",
    attrs = {
        "srcs": attr.label_list(
            allow_files = _SOURCE_EXTENSIONS,
            allow_empty = False,
            mandatory = True,
            doc = "The C++ sources (`.cc`, `.cpp`, `.cxx`), each compiled on its own (mandatory, non-empty).",
        ),
        "hdrs": attr.label_list(
            allow_files = _HEADER_EXTENSIONS,
            doc = "Headers the sources include (cc_binary's headers in `srcs`); include them relative to the including file (`#include \"x.h\"`).",
        ),
        "copts": attr.string_list(
            doc = "Extra compiler flags, after the fixed ones (see the rule's doc). `-g` flags are refused: debug info holds absolute paths. Default: none.",
        ),
        "linkopts": attr.string_list(
            doc = "Extra linker driver flags, after the objects, e.g. `-lm`. Default: none.",
        ),
        "_clangxx": attr.label(
            default = "@odp_host_tools//:clangxx",
            allow_single_file = True,
            cfg = "exec",
        ),
        "_ld": attr.label(
            default = "@odp_host_tools//:ld",
            allow_single_file = True,
            cfg = "exec",
        ),
        "_jni_headers": attr.label(
            default = "@odp_host_tools//:jni_headers",
            allow_files = [".h"],
        ),
    },
)

def cc_binary(name, srcs = [], copts = [], linkopts = [], linkshared = False, deps = [], **kwargs):
    """The harness's cc_binary: shared libraries by the host clang++ 16 and libc++.

    Args:
      name: target and file name, `lib<name>.so` (`System.loadLibrary("<name>")`).
      srcs: sources and headers.
      copts: extra compiler flags (`-g` refused: debug info holds paths).
      linkopts: extra linker driver flags.
      linkshared: must be True for the clang++ stand-in; False goes to
        Bazel's native cc_binary.
      deps: must be empty for a shared library (the stand-in links nothing else).
      **kwargs: visibility, tags, testonly.
    """
    if not linkshared:
        native.cc_binary(name = name, srcs = srcs, copts = copts, linkopts = linkopts, deps = deps, **kwargs)
        return
    if deps:
        fail("cc_binary %s: the Bazel 4 harness's shared-library cc_binary (bazel4/cc.bzl) links its srcs only; deps are not supported" % name)
    _cc_shared_library(
        name = name,
        srcs = [s for s in srcs if not _is_header(s)],
        hdrs = [s for s in srcs if _is_header(s)],
        copts = copts,
        linkopts = linkopts,
        **kwargs
    )

def _is_header(src):
    for ext in _HEADER_EXTENSIONS:
        if src.endswith(ext):
            return True
    return False
