"""The pure, consensus-critical core of the traceability platform.

Everything whose change would break the verification of proofs already handed out lives here: the EPCIS 2.0 event
model, the CBV 2.0 Event Hash ID, GS1 identifiers, the signature envelope, the Merkle tree format, the trace graph,
the green rules and proof verification. The tests pin it to reference vectors published by GS1, OpenEPCIS and
OpenZeppelin (the README says where the tests read them from).

This package does no I/O: it opens no file or socket, and imports neither web3, nor a web framework, nor a database
library, nor anything else of this project (a test checks this). Callers pass it bytes and already-fetched data.
"""

__all__: list[str] = []
