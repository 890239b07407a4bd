from __future__ import annotations

import pytest

from auditor.verify import TrustMaterial, load_trust


@pytest.fixture(scope="session")
def trust() -> TrustMaterial:
    return load_trust()
