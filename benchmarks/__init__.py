"""The project's benchmarks: what ``supplychain bench …`` measures and prints.

Each module measures one thing on this machine and returns its figures (printing its progress and a summary):
:mod:`~benchmarks.registry` (transactions per second and gas of the registry), :mod:`~benchmarks.hashing` (Event
Hash IDs beside GS1's reference), :mod:`~benchmarks.merkle`, :mod:`~benchmarks.capture` (bulk capture over HTTP,
event-to-anchor latency), :mod:`~benchmarks.queries` and :mod:`~benchmarks.page` (a product's bundle, trace and page in
a large store), :mod:`~benchmarks.audit` (the regulator's audit of a synthetic store, :mod:`~benchmarks.synthetic`),
:mod:`~benchmarks.attack` (a hostile loop against a served platform).

It sits beside the command line, above ``backend``, ``chain`` and ``supplychain``: no package imports it, and the
command line (:mod:`cli.bench_cmd`) imports it only when a benchmark runs. It imports nothing from ``cli``.
"""
