"""Settings for every test under tests/ and lambdas/."""

from hypothesis import settings

# Hypothesis's default 200 ms deadline per example measures the machine, not the code: on a
# loaded 2-core runner a slow example fails as DeadlineExceeded or Flaky (issue 21). The
# properties are about results; speed is measured in benchmarks/.
settings.register_profile("whimsy", deadline=None)
settings.load_profile("whimsy")
