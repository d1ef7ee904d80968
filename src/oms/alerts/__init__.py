"""Alert channels: DingTalk and WeCom group robots and e-mail, routed per tenant by alert type."""
