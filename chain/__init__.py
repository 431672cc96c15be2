"""The only package that talks to Ethereum nodes (web3).

Deploys and calls the on-chain registry, sends locally signed transactions with a managed nonce, maps web3 and
RPC failures and the registry's custom errors to :mod:`chain.errors`, and replays the registry's history into the
plain records of :mod:`supplychain.registry`.
"""

__all__: list[str] = []
