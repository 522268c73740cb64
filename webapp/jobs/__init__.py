"""Background work on RQ: the connection, the queues and the worker."""
