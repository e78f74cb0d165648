"""Compiled letter templates kept per user, so a process that drafts a letter does not compile
Jinja templates again (compiling the nine templates of a records letter costs more than
starting Python).

Jinja checks each cached template against a checksum of its source, so an edited template
(packaged or yours) is compiled again; the key adds everything else the compiled code depends
on (the Jinja version and the environment's class and syntax options), so the sandboxed
environment of user templates and the packaged one never share code. A cache file that cannot
be read or written is ignored: the template is compiled as before.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import jinja2

# Raised when the key's shape changes, so an older cache file is never read.
FORMAT = 1


def _fingerprint(env: jinja2.Environment) -> str:
    """What Jinja's compiler reads from ``env`` besides the source."""
    finalize = env.finalize
    autoescape = env.autoescape
    return repr((
        FORMAT, jinja2.__version__, type(env).__module__, type(env).__qualname__,
        env.block_start_string, env.block_end_string, env.variable_start_string, env.variable_end_string,
        env.comment_start_string, env.comment_end_string, env.line_statement_prefix, env.line_comment_prefix,
        env.trim_blocks, env.lstrip_blocks, env.newline_sequence, env.keep_trailing_newline,
        sorted(env.extensions), env.optimized, env.is_async,
        sorted(getattr(env, "intercepted_binops", ())), sorted(getattr(env, "intercepted_unops", ())),
        finalize is not None, str(getattr(finalize, "jinja_pass_arg", None)),
        autoescape if isinstance(autoescape, bool) else getattr(autoescape, "__qualname__", repr(autoescape)),
    ))


class TemplateCache(jinja2.BytecodeCache):
    """Jinja's bytecode cache in ``folder``, by default the per-user cache folder
    (FOIA_CACHE_DIR) of the moment: private files, written atomically."""

    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder is not None else None

    def get_bucket(self, environment, name, filename, source):
        key = hashlib.sha256(f"{_fingerprint(environment)}\0{name}\0{filename}".encode()).hexdigest()[:32]
        bucket = jinja2.bccache.Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def _path(self, bucket) -> Path:
        from foia.paths import cache_dir

        return (self.folder or cache_dir()) / f"template-{bucket.key}.jinja"

    def load_bytecode(self, bucket) -> None:
        try:
            with open(self._path(bucket), "rb") as fh:
                bucket.load_bytecode(fh)
        except Exception:  # missing, truncated, from another Python: compiled again
            bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        from foia.files import atomic_write

        try:
            atomic_write(self._path(bucket), bucket.bytecode_to_string())
        except Exception:  # a read-only or full cache folder: the next process compiles again
            pass
