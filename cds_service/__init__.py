"""leukopenia-cds: a CDS Hooks service for low white-cell counts."""

__version__ = "0.1.0"
