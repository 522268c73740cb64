from flask import current_app
from redis import Redis
from rq import Queue

QUEUE_NAMES = ("default",)


def redis_connection() -> Redis:
    return Redis.from_url(
        current_app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5
    )


def queue(name: str = "default") -> Queue:
    return Queue(name, connection=redis_connection())
