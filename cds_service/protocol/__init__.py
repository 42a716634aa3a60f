"""CDS Hooks protocol: requests, hooks, discovery, responses and errors."""
