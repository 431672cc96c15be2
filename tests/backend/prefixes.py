"""GS1 Company Prefixes for the service tests: the GS1 registrar assigns what a test needs, once.

:func:`hold_prefixes` is idempotent: a prefix its organisation already holds (the standard cast may assign it) is left
alone, so tests that call it keep working whichever way the cast grows.
"""

from __future__ import annotations

from collections.abc import Mapping

from backend.services.platform import Platform
from chain.accounts import dev_account
from chain.registry import ROLE_REGISTRAR
from tests.chains import MANUFACTURER, SUPPLIER

__all__ = ["MAKER_PREFIX", "SUPPLIER_PREFIX", "hold_prefixes"]

MAKER_PREFIX = "6901234"
SUPPLIER_PREFIX = "6923456"
CAST_PREFIXES = {MAKER_PREFIX: MANUFACTURER, SUPPLIER_PREFIX: SUPPLIER}


def hold_prefixes(platform: Platform, prefixes: Mapping[str, str] = CAST_PREFIXES) -> None:
    """Make each organisation hold its prefix now (the regulator registers the GS1 registrar first if needed)."""
    registry = platform.registry.registry
    registrar = dev_account("gs1-registrar")
    if not registry.has_role(ROLE_REGISTRAR, registrar.address):
        registry.as_signer(dev_account("regulator").account).register_registrar(registrar.address)
    mirror = platform.registry.refresh(force=True)
    now = registry.chain.block_timestamp()
    writer = registry.as_signer(registrar.account)
    for prefix, org_id in prefixes.items():
        if mirror.prefix_holder_at(prefix, now) != org_id:
            writer.assign_prefix(prefix, org_id)
    platform.registry.refresh(force=True)
