"""Reading the facts and baseline files: Parquet (pyarrow) or CSV, by content."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pv
import pyarrow.parquet as pq

from oms.intelligence.rca.errors import RcaInputInvalid

__all__ = ["read_table"]

_PARQUET_MAGIC = b"PAR1"


def read_table(path: Path, dims: Sequence[str]) -> pa.Table:
    """The file as a table, dimension columns as text. Raises: ERR_RCA_INPUT_INVALID."""
    try:
        with path.open("rb") as handle:
            is_parquet = handle.read(4) == _PARQUET_MAGIC
        if is_parquet:
            schema = pq.read_schema(path)
            present = [d for d in dims if d in schema.names]
            return pq.read_table(path, read_dictionary=present)
        text_columns = dict.fromkeys(dims, pa.string())
        return pv.read_csv(path, convert_options=pv.ConvertOptions(column_types=text_columns))
    except OSError as exc:
        raise RcaInputInvalid(f"cannot read {path}: {exc}", path=str(path)) from exc
    except pa.ArrowInvalid as exc:
        raise RcaInputInvalid(f"{path} is neither Parquet nor CSV: {exc}", path=str(path)) from exc
