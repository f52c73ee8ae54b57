"""Fixtures for the deployment tests: the channel tests' fake platforms and harness."""

from tests.channels.conftest import fake_tg, fake_tg_server, fake_wa, fake_wa_server, harness  # noqa: F401
