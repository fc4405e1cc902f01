# Optiscape production image: gunicorn (threaded workers) serving the Dash app, non-root,
# with the JAX compilation cache warmed at build time.
#
#   docker build -t optiscape .                      # from the public Python image
#   podman build --format docker \
#     --build-arg BASE_IMAGE=localhost/optiscape-base:bookworm-python \
#     --secret id=pip-ca,src=/etc/ssl/certs/ca-certificates.crt -t optiscape .
#
# BASE_IMAGE must provide `python3` (3.11) with the venv module: the official
# python:3.11-slim-bookworm does, and so does Debian bookworm with python3 + python3-venv
# (what .ci/container builds from a debootstrap minbase). Both stages use the same base, so
# the venv's interpreter links stay valid.
# The optional build secret `pip-ca` is a CA bundle for pip (for networks that intercept
# HTTPS); it is mounted for the install step only and never stored in a layer.

ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

SHELL ["/bin/bash", "-euo", "pipefail", "-c"]

RUN python3 -m venv /opt/venv

# Dependencies first, from pyproject.toml alone: this layer is reused until they change.
WORKDIR /src
COPY pyproject.toml ./
RUN --mount=type=secret,id=pip-ca,required=false \
    if [ -s /run/secrets/pip-ca ]; then export PIP_CERT=/run/secrets/pip-ca; fi; \
    python3 -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' > requirements.txt; \
    /opt/venv/bin/python -m pip install --no-cache-dir --requirement requirements.txt; \
    /opt/venv/bin/python -m pip uninstall --yes pip setuptools wheel; \
    find /opt/venv -name '__pycache__' -prune -exec rm -rf {} +; \
    /opt/venv/bin/python -m compileall -q -j 0 /opt/venv/lib

# The application code, owned by root and read-only for everyone else.
COPY . /app
RUN /opt/venv/bin/python -m compileall -q /app \
    && chmod -R a-w,a+rX /app


FROM ${BASE_IMAGE}

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=8050 \
    JAX_PLATFORMS=cpu \
    JAX_COMPILATION_CACHE_DIR=/var/cache/optiscape/jax \
    JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0 \
    JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES=-1

SHELL ["/bin/bash", "-euo", "pipefail", "-c"]

RUN groupadd --gid 10001 optiscape \
    && useradd --no-log-init --uid 10001 --gid optiscape --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin optiscape \
    && mkdir -p /var/cache/optiscape/jax \
    && chown optiscape:optiscape /var/cache/optiscape/jax

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app

WORKDIR /app
USER 10001:10001

# Compile the default structures into the persistent cache, so that the first requests
# (and every worker's warm-up) load compiled code instead of compiling it.
RUN python -c 'import app; warm_up = getattr(app, "warm_up", None); print("warm-up: app.warm_up() not defined, nothing to compile") if not callable(warm_up) else warm_up()' \
    && echo "warm-up: $(find "$JAX_COMPILATION_CACHE_DIR" -type f | wc -l) cache entries"

EXPOSE 8050

HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8050'), timeout=4)"]

CMD ["gunicorn", "--config", "/app/gunicorn.conf.py"]
