"""China's province-level divisions, as addresses and carriers name them."""

from __future__ import annotations

__all__ = ["PROVINCES", "normalise_province"]

PROVINCES: tuple[str, ...] = (
    "北京市", "天津市", "上海市", "重庆市", "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省",
    "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省",
    "广东省", "海南省", "四川省", "贵州省", "云南省", "陕西省", "甘肃省", "青海省", "台湾省",
    "内蒙古自治区", "广西壮族自治区", "西藏自治区", "宁夏回族自治区", "新疆维吾尔自治区",
    "香港特别行政区", "澳门特别行政区",
)  # fmt: skip

# Addresses often drop the suffix ("浙江", "广西", "内蒙古"): the first two or three
# characters name a province unambiguously.
_BY_PREFIX = {name[:2]: name for name in PROVINCES} | {"内蒙": "内蒙古自治区", "黑龙": "黑龙江省"}


def normalise_province(name: str | None) -> str | None:
    """The full name of the province ``name`` denotes, or None when it names none."""
    if not name:
        return None
    name = name.strip()
    if name in PROVINCES:
        return name
    return _BY_PREFIX.get(name[:2])
