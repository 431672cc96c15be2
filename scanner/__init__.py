"""The consumer-side verifier: trusts the chain, not the platform."""

__all__: list[str] = []
