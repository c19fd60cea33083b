"""Operating hotline: logging, health and readiness probes, Prometheus metrics.

    logs.configure_from_settings(settings)     HOTLINE_LOG_LEVEL, HOTLINE_LOG_FORMAT (text | json), URLs masked
    readiness.Readiness(app, captures=)        database, data dir, broker, capture worker (cached)
    collector.PipelineCollector(app)           figures from the database: URLs, captures, forwards, outbox, removal
    metrics.timed_stage(name, urls)            process-local stage and job durations, HTTP requests
    endpoints.OpsEndpoints                     /healthz, /readyz, /metrics as plain ASGI in front of the web app
    admin.start_admin_server(app, ...)         the same three on HOTLINE_METRICS_HOST:HOTLINE_METRICS_PORT
"""
