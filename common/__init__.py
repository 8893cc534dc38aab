"""Shared infrastructure, the bottom layer: every other package may import it, and it
imports nothing of ours.

Catalog: ``common.errors`` (the named exceptions), ``common.atomic`` (writes that a crash
leaves undone, not half done), ``common.paths`` (``GEOFM_HOME`` and ``GEOFM_DATA``), ``common.gate`` (at most N jobs
at once, M in line, the rest refused).

It is a package of its own because tools/ and corpus/ both need it and Python runs a
package's ``__init__`` before any module inside it: a module in tools/ would load the
tool registry, which loads corpus/, into every corpus import.
"""
