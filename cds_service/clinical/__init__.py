"""The clinical engine: pure functions from parsed FHIR data to findings. No HTTP here."""
