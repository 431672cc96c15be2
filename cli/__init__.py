"""The ``supplychain`` command line: the composition root above every package (``backend``, ``chain``, ``scanner``,
``supplychain``; the benchmarks of ``benchmarks`` under ``supplychain bench``). Nothing but tests imports it."""
