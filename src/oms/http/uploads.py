"""Reading an uploaded file: a multipart form's ``file`` field, or the raw request body."""

from __future__ import annotations

from fastapi import Request

__all__ = ["read_upload"]


async def read_upload(request: Request) -> tuple[bytes, str | None]:
    """The file of a multipart form (field ``file``) and its name, or the raw body."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is not None and not isinstance(upload, str):
            return await upload.read(), upload.filename
        return b"", None
    return await request.body(), None
