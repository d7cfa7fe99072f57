"""Suite-wide settings.

Hypothesis's per-example deadline (200 ms by default) is a wall-clock threshold: on a loaded
machine (a CI runner, a mutation run at low priority) a correct example can take longer and
fail the suite by luck. The suite drops it; loops that could hang are bounded in the tests
themselves.
"""

from hypothesis import settings

settings.register_profile("dsr-resolvers", deadline=None)
settings.load_profile("dsr-resolvers")
