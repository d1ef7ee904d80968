"""Errors of the BI feeds, each with a stable code."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = ["BiRolesUnsupported", "ExportInvalid"]


class ExportInvalid(AppError):
    code = "ERR_EXPORT_INVALID"
    http_status = 422
    title = "The export names an unknown dataset or format, or an unreadable instant"


class BiRolesUnsupported(AppError):
    code = "ERR_BI_ROLES_UNSUPPORTED"
    http_status = 422
    title = "Read-only BI roles need PostgreSQL (row-level security); this database is not"
