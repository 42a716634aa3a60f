"""Feedback on issued cards (CDS Hooks "Feedback"): validation, durable storage, and the governance report."""
