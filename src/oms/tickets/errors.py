"""Errors of the tickets domain."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = ["TicketNotFound"]


class TicketNotFound(AppError):
    code = "ERR_TICKET_NOT_FOUND"
    http_status = 404
    title = "Ticket not found"
