"""lio_plugin: a backend plugin as a shared library exporting only lio_plugin_register."""

def lio_plugin(name, srcs, deps = [], copts = [], linkopts = [], target_compatible_with = [], **kwargs):
    """Builds liblio_<name>.so (lio_<name>.dll on Windows) from `srcs`.

    Hidden visibility and a version script keep every symbol but the
    registration entry point local, so two plugins never clash.
    """
    native.cc_binary(
        name = "liblio_%s.so" % name,
        srcs = srcs,
        deps = deps + ["//lio/core:plugin_abi"],
        copts = copts + ["-fvisibility=hidden", "-fvisibility-inlines-hidden"],
        linkopts = linkopts + [
            "-Wl,--version-script=$(location //lio/plugins:plugin.lds)",
            "-Wl,-z,defs",
        ],
        additional_linker_inputs = ["//lio/plugins:plugin.lds"],
        linkshared = True,
        target_compatible_with = target_compatible_with,
        **kwargs
    )
