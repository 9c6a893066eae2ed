"""Background jobs that are never lost: job rows, chunks, the transactional outbox and its
relay. Domain code enqueues with `daiko.jobs.service.enqueue`; actors live in `workers/`."""
