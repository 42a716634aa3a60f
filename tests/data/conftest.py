from __future__ import annotations

from collections.abc import Iterator

import pytest

from cds_service.data.bundles import resources_of
from tests.conftest import fixture_names, load_fixture
from tests.data.fhir_server import FhirTestServer, run_server


@pytest.fixture(scope="session")
def fhir_server() -> Iterator[FhirTestServer]:
    """A real FHIR server on loopback, loaded with the prefetch data of every fixture."""
    for server in run_server():
        for name in fixture_names():
            prefetch = load_fixture(name)["prefetch"]
            server.put(r for value in prefetch.values() for r in resources_of(value))
        # Warm the server's search paths once, so the first test does not pay for Node's JIT.
        for query in (
            "Patient/pt-normal",
            "Observation?patient=Patient/pt-normal&_sort=-date&_count=5",
            "MedicationRequest?patient=Patient/pt-normal&status=active,on-hold",
        ):
            server.get(query)
        yield server
