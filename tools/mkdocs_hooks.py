"""MkDocs hook: fills the ``<!-- oms:gen … -->`` markers with tables generated from the code.

See ``oms.docs_gen``. An unknown marker fails the build, so a typo cannot ship an empty page.
"""

from __future__ import annotations

from typing import Any

from mkdocs.exceptions import PluginError

from oms import docs_gen


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    try:
        return docs_gen.expand(markdown)
    except docs_gen.UnknownMarker as error:
        raise PluginError(f"{page.file.src_uri}: {error}") from error
