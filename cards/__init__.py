"""The card catalogue: templates (data, in ``templates/``) and the builder that renders findings into cards."""
