"""The scale-out executor: the same stage functions as the embedded one, run as Celery tasks.

    HOTLINE_DATABASE_URL=postgresql+psycopg://...  HOTLINE_BROKER_URL=redis://...  (or amqp://...)
    hotline scheduler                     # once: queues work for waiting rows, runs periodic jobs
    hotline worker --queues capture       # on egress hosts
    hotline worker --queues fingerprint,locate,forward,monitor --concurrency 4

Public API:
    scale_options(settings) -> ScaleOptions        settings checked once (one-line SettingsError)
    broker_configured(settings) -> bool            whether the Celery executor is asked for
    make_celery(settings, app=None) -> Celery      tasks hotline.stage.<stage>, hotline.job.<job>
    run_leased(app, stage, limit=, lease=, ids=)   lease rows, run one stage, renew the lease meanwhile
    dispatch(app, celery, options) -> dict         queue tasks for waiting rows (what the scheduler does)
    delete_queues(broker_url, prefix="")          remove an instance's queues, messages and exchanges
    run_worker(app, queues, concurrency, pool)     `hotline worker`
    run_scheduler(app)                             `hotline scheduler`
"""

from hotline.executors.celery.options import ScaleOptions, broker_configured, scale_options

__all__ = ["ScaleOptions", "broker_configured", "scale_options"]
