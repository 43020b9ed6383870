"""The commissioning service: an HTTP API with durable scenarios and jobs."""
