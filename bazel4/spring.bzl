"""springboot of the Bazel 4 harness: a Spring-Boot-shaped executable jar.

rules_spring cannot be fetched here, so the harness's
`@rules_spring//springboot:springboot.bzl` stand-in (bazel4/stubs.bzl)
provides `springboot(name, java_library, boot_app_class, deps)` with the
layout rules_spring gives the seed's services: the launcher at the root,
the application's classes under `BOOT-INF/classes/`, each dependency jar
under `BOOT-INF/lib/` in the order of `deps`, and no
`BOOT-INF/classpath.idx`, so the class path follows the jar's entry order
(see spring/odp/bootstub/JarLauncher.java, which stands in for Spring
Boot's own launcher). The output is `NAME.jar`, as rules_spring names it.
"""

load(":java.bzl", "HostJavaLibraryInfo", "javac", "pack")

_LAUNCHER = "odp.bootstub.JarLauncher"

def _springboot_impl(ctx):
    app = ctx.attr.java_library[HostJavaLibraryInfo]
    launcher = ctx.actions.declare_directory(ctx.label.name + "_launcher")
    javac(ctx, ctx.files._launcher_srcs, launcher)

    # javac writes into NAME_boot/BOOT-INF/classes, packed as BOOT-INF/classes.
    classes = ctx.actions.declare_directory(ctx.label.name + "_boot/BOOT-INF/classes")
    boot = classes.path[:-len("/BOOT-INF/classes")]
    javac(ctx, app.srcs, classes)
    parts = [(launcher.path, "."), (boot, "BOOT-INF/classes")]
    inputs = [launcher, classes]
    for dep in ctx.attr.deps:
        jars = [f for f in dep[DefaultInfo].files.to_list() if f.basename.endswith(".jar")]
        if len(jars) != 1:
            fail("springboot %s: attribute deps: %s must give one jar" % (ctx.label, dep.label))
        link = ctx.actions.declare_file("%s_libs/BOOT-INF/lib/%s" % (ctx.label.name, jars[0].basename))
        ctx.actions.symlink(output = link, target_file = jars[0])
        parts.append((link.path[:-len("BOOT-INF/lib/" + jars[0].basename)].rstrip("/"), "BOOT-INF/lib/" + jars[0].basename))
        inputs.append(link)
    manifest = "Manifest-Version: 1.0\nMain-Class: %s\nStart-Class: %s\nSpring-Boot-Classes: BOOT-INF/classes/\nSpring-Boot-Lib: BOOT-INF/lib/\n\n" % (_LAUNCHER, ctx.attr.boot_app_class)
    pack(ctx, ctx.outputs.jar, manifest, parts, inputs)
    return [DefaultInfo(files = depset([ctx.outputs.jar]), runfiles = ctx.runfiles(files = [ctx.outputs.jar]))]

_springboot = rule(
    implementation = _springboot_impl,
    attrs = {
        "java_library": attr.label(mandatory = True, providers = [HostJavaLibraryInfo]),
        "boot_app_class": attr.string(mandatory = True),
        "deps": attr.label_list(allow_files = [".jar"]),
        "_launcher_srcs": attr.label_list(default = [Label("//bazel4/spring:launcher_srcs")], allow_files = [".java"]),
        "_javac": attr.label(default = "@odp_host_tools//:javac", allow_single_file = True, cfg = "exec"),
        "_jar": attr.label(default = "@odp_host_tools//:jar", allow_single_file = True, cfg = "exec"),
    },
    outputs = {"jar": "%{name}.jar"},
)

def springboot(name, java_library, boot_app_class, deps = [], **kwargs):
    """rules_spring's springboot, as the harness stands in for it (see the file's doc).

    Args:
      name: target name; the jar is `NAME.jar`.
      java_library: the application's java_library (the harness's stand-in).
      boot_app_class: the class with `main`, the manifest's Start-Class.
      deps: the dependency jars, in class path order.
      **kwargs: visibility, tags, testonly.
    """
    _springboot(name = name, java_library = java_library, boot_app_class = boot_app_class, deps = deps, **kwargs)
