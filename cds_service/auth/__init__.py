"""Trusting CDS clients: JWT bearer tokens signed with the client's key (CDS Hooks "Trusting CDS Clients")."""
