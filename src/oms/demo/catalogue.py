"""What the demo tea shop sells, to whom, and through which channels."""

from __future__ import annotations

from oms.orders.states import OrderEvent

__all__ = ["BUYERS", "CHANNELS", "PRODUCTS", "SCARCE", "SOURCES"]

# (SKU, product name, unit price in fen); every SKU the demo uses has its name here.
PRODUCTS = [
    ("TEA-LJ-250", "西湖龙井 250g 明前特级", 32800),
    ("TEA-PE-357", "云南普洱 357g 熟茶饼", 19800),
    ("TEA-TG-500", "安溪铁观音 500g 浓香型", 25800),
    ("TEA-BC-100", "福鼎白茶 100g 白毫银针", 45800),
    ("TEA-DHP-200", "武夷大红袍 200g 岩茶", 36800),
    ("SET-GIFT-01", "中秋茶礼盒 四款装", 59900),
    ("CUP-GLS-300", "双层玻璃茶杯 300ml", 6900),
]
# Received once and sold out, so the shortage order has a story.
SCARCE = ("TEA-JJM-50", "金骏眉 50g 罐装 限量", 16800)
BUYERS = [
    ("王芳", "13800138000", "浙江省", "杭州市", "西湖区", "文三路 90 号 3 幢 501"),
    ("李娜", "13912345678", "上海市", "上海市", "浦东新区", "张江路 88 弄 6 号 1202"),
    ("张伟", "15011112222", "广东省", "深圳市", "南山区", "科技园南区 8 栋 701"),
    ("刘洋", "18622223333", "北京市", "北京市", "朝阳区", "望京 SOHO T2 1808"),
    ("陈静", "13733334444", "四川省", "成都市", "武侯区", "天府大道北段 966 号"),
    ("赵磊", "13655556666", "江苏省", "南京市", "鼓楼区", "中山北路 30 号 2 单元 402"),
    ("孙丽", "18977778888", "湖北省", "武汉市", "洪山区", "珞喻路 129 号 5 栋 803"),
]
# Channel codes; the console names them as merchants say them (天猫, 京东, 抖音, 有赞, 拼多多).
CHANNELS = ["tmall", "jd", "douyin", "youzan", "pinduoduo"]
SOURCES = {
    OrderEvent.SHIP: "erp:wangdiantong",
    OrderEvent.PARTIAL_SHIP: "erp:wangdiantong",
    OrderEvent.DELIVER: "carrier:sf-express",
    OrderEvent.COMPLETE: "erp:wangdiantong",
    OrderEvent.HOLD: "risk:rules",
    OrderEvent.CANCEL: "crm:service-desk",
    OrderEvent.CLOSE: "crm:service-desk",
}
