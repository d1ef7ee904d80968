"""BI feeds: every domain's change feed as Parquet or CSV, by file (``oms export``) or stream
(``GET /api/v1/exports/{dataset}``), and per-tenant read-only PostgreSQL roles over SQL views
(``oms bi``)."""
