"""Schema-driven fuzzing of the real service (schemathesis against `supplychain serve` on an anvil node)."""
