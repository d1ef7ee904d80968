"""The partner overview: each of a partner's tenants at a glance (docs/partners.md).

Above the domains it reads (channels, tickets, the job queue of core), through their public
services only; partner accounts themselves live in ``core.partners``.
"""
