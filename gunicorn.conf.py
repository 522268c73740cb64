# Read by gunicorn when it starts from this folder (the Docker image, the README's commands).
# Tokens of invitation and password links are masked in the access log.
logger_class = "webapp.access_log.GunicornLogger"
