FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Fixed uid, so that files written to volumes have a predictable owner.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app

# Commands must run from /app: cwd comes first on sys.path for gunicorn, flask and
# python -m, so the imported webapp is /app/webapp, next to templates/, static/ and migrations/.
WORKDIR /app

# Production images install the application alone; the demo services of docker-compose.yml
# build with EXTRAS="[dev]" for the dimail simulator and the mail catcher (devtools/).
ARG EXTRAS=""

# Dependencies from the metadata alone, so that a code change does not reinstall them.
COPY pyproject.toml requirements.lock ./
RUN pip install --no-cache-dir -c requirements.lock ".${EXTRAS}" \
    && rm -rf build ./*.egg-info

# Then the package itself; its dependencies are already installed.
COPY . .
RUN pip install --no-cache-dir --no-deps --force-reinstall -c requirements.lock ".${EXTRAS}" \
    && rm -rf build ./*.egg-info \
    && pybabel compile -d webapp/translations \
    && mkdir -p instance \
    && chown app:app instance \
    && python -m webapp.static_files

# The code stays root-owned; create_app only needs instance/ to be writable. The static files'
# build (hashed names, gzip copies) is made above, as root, in instance/static: the app finds
# it there for the same files and only reads it.
USER app

EXPOSE 8000

# gunicorn.conf.py (in /app) masks link tokens in the access log.
# No HEALTHCHECK here: the same image also runs the worker and the one-shot migrations.
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-", "wsgi:app"]
