"""Bridges from this library's vendor-free contract to the engines that drive resolvers.

Each bridge lives in its own module, named after the engine it serves
(``dsr_resolvers.integrations.effaced``), and is the only place that imports that engine.
This package itself imports nothing, so ``import dsr_resolvers`` never pulls an optional
dependency in; install the matching extra (``dsr-resolvers[effaced]``) to use a bridge.
"""
