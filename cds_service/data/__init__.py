"""Gathering FHIR data for a hook call: prefetch, context resources, and the CDS client's FHIR server."""
