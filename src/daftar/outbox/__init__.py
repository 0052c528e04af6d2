"""The transactional outbox: work that crosses a network, written with the change that causes it.

A service that must tell the outside world something (send an SMS, POST a webhook to an agency)
calls ``outbox_enqueue`` inside its own transaction. The row commits or rolls back with the change;
after commit a Celery task delivers it through a handler registered by name, retrying with
exponential backoff until it is delivered or parked as dead for staff to retry.
"""
