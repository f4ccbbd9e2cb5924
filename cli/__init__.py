"""The ``w2v`` command line: a thin click layer over the library.

Installed as the package ``w2v_cli`` (see pyproject.toml) so that it cannot
clash with other projects' top-level ``cli`` modules.
"""
