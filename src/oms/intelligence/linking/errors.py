"""Errors of key-pattern linking, each with a stable code."""

from __future__ import annotations

from oms.core.errors import AppError

__all__ = ["LinkInputInvalid", "NoPatternLearned"]


class LinkInputInvalid(AppError):
    code = "ERR_LINK_INPUT_INVALID"
    http_status = 422
    title = "A linking input file is missing, unreadable or lacks a required column"


class NoPatternLearned(AppError):
    code = "ERR_LINK_NO_PATTERN"
    http_status = 422
    title = "No key pattern explains any seed pair"
