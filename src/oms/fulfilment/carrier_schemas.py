"""Pydantic shapes of carriers and SKU attributes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

__all__ = ["CarrierIn", "CarrierOut", "ServiceIn", "SkuAttributesIn", "SkuAttributesOut"]

Need = Literal["cold_chain", "installation", "bulky", "fragile", "hazardous"]
Fen = Annotated[int, Field(ge=0, le=100_000_000)]
Grams = Annotated[int, Field(ge=0, le=10_000_000)]


class ServiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    sla_hours: Annotated[int, Field(ge=1, le=24 * 30, description="door to door, same province")]
    first_weight_grams: Annotated[int, Field(ge=1, le=100_000)] = 1000
    first_fee: Fen = Field(description="fen, up to first_weight_grams")
    additional_fee_per_kg: Fen = Field(description="fen per started kilogram above the first")


class CarrierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Annotated[
        str,
        StringConstraints(pattern=r"^[a-z][a-z0-9]{1,31}$"),
        Field(description="Kuaidi100 company code: shunfeng, yuantong, zhongtong, jd, ems, …"),
    ]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    tier: Annotated[int, Field(ge=1, le=9, description="1 is the best")] = 2
    capabilities: Annotated[list[Need], Field(max_length=5)] = []
    regions: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=20)]],
        Field(max_length=40, description="provinces served; empty: nationwide"),
    ] = []
    max_weight_grams: Annotated[int, Field(ge=1, le=10_000_000)] = 30_000
    services: Annotated[list[ServiceIn], Field(min_length=1, max_length=10)]

    @model_validator(mode="after")
    def _distinct_services(self) -> CarrierIn:
        codes = [s.code for s in self.services]
        if len(set(codes)) != len(codes):
            raise ValueError("service codes must be distinct")
        return self


class CarrierOut(CarrierIn):
    version: int = Field(description="0: the built-in default, not yet written by the tenant")


class SkuAttributesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    needs: Annotated[list[Need], Field(max_length=5)] = []
    weight_grams: Grams = 0


class SkuAttributesOut(SkuAttributesIn):
    sku: str
