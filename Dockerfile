# The project's image: the wheel that `make build` wrote, installed in a venv on a Python base.
# `make image` builds it from a context holding only dist/<the wheel> and wheels/ (dependency
# wheels for an offline build), never the source tree, and appends one LABEL instruction with
# the OCI labels. Few instructions on purpose: each one is a build step.
#
# BASE_IMAGE: the official slim image pinned by digest (what Actions builds on); locally,
# `make base-image` makes one offline from Debian's packages: BASE_IMAGE=localhost/releasekit-base:python3
ARG BASE_IMAGE=docker.io/library/python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea
FROM ${BASE_IMAGE}

# Empty: dependencies from the package index. Offline (IMAGE_WHEELHOUSE): build_image.py
# passes --no-index --find-links=/tmp/context/wheels
ARG PIP_INSTALL_OPTIONS=""
COPY . /tmp/context/
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/python -m pip install --no-cache-dir --disable-pip-version-check \
      ${PIP_INSTALL_OPTIONS} /tmp/context/dist/*.whl \
 && rm -rf /tmp/context

ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001
CMD ["releasekit-build", "--help"]
