"""The version of lio's installed libraries (tools/install reads it too).

The shared libraries' soname carries the major: liblio_core.so.0."""

LIO_VERSION = "0.1.0"
LIO_SOVERSION = LIO_VERSION.split(".")[0]
