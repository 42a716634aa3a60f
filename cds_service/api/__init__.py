"""The HTTP layer: thin routes over the protocol and the pipeline."""
