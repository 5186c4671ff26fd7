"""lio_conformance_test: run the conformance suite against one plugin target."""

def lio_conformance_test(name, plugin, backend = None, args = [], data = [], tags = [], **kwargs):
    """A cc_test running //lio/testing:conformance against `plugin`.

    Args:
      name: the test's name.
      plugin: the plugin target (a lio_plugin, e.g. "//lio/plugins/poller:liblio_poller.so").
      backend: test only this backend of the plugin (default: every backend it registers).
      args: more arguments (gtest flags).
      data: more runfiles.
      tags: test tags.
      **kwargs: passed to cc_test (size, timeout, env, target_compatible_with, ...).
    """
    plugin_args = ["--lio_plugin=$(rootpath %s)" % plugin]
    if backend:
        plugin_args.append("--lio_backend=%s" % backend)
    native.cc_test(
        name = name,
        deps = [
            "//lio/testing:conformance",
            "//lio/testing:conformance_main",
        ],
        data = data + [plugin],
        args = plugin_args + args,
        tags = tags + ["conformance"],
        **kwargs
    )
