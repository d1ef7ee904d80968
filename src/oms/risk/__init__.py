"""Risk: interception rules, blacklists, delay risk and refund strategy advice."""
