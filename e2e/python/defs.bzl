"""runfiles_links: runfiles that are symlinks, as a data dependency adds them."""

def _runfiles_links_impl(ctx):
    f = ctx.file.src
    return [DefaultInfo(runfiles = ctx.runfiles(
        symlinks = {path: f for path in ctx.attr.symlinks},
        root_symlinks = {path: f for path in ctx.attr.root_symlinks},
    ))]

runfiles_links = rule(
    implementation = _runfiles_links_impl,
    doc = "Puts `src` into the runfiles of whatever depends on it, under other names.",
    attrs = {
        "src": attr.label(mandatory = True, allow_single_file = True, doc = "The file."),
        "symlinks": attr.string_list(doc = "Runfiles paths below the main repository's directory."),
        "root_symlinks": attr.string_list(doc = "Runfiles paths below the runfiles root."),
    },
)
