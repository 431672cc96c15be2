"""The service's work: the registry view, capture, anchoring, receipts, queries, QR codes."""
