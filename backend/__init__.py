"""The platform service: capture, storage, anchoring, queries, QR codes and the ``supplychain`` command line."""

__all__: list[str] = []
