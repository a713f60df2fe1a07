# pytest-readiness in a container: the built-in checks plus the checks and profile you mount.
#
#   docker build -t pytest-readiness:0.1.0 .
#   docker run --rm -v "$PWD/readiness:/etc/readiness:ro" -v "$PWD/reports:/reports" \
#     pytest-readiness:0.1.0 --readiness=prod --readiness-json=/reports/result.json
#
# Not built in this project's CI machine (no container runtime there): a test checks this file
# statically (tests/integration/test_deploy_manifests.py); docs/in-cluster.md says what was verified.

# -- stage 1: build the wheel from the source tree ---------------------------------------------
FROM python:3.11.9-slim-bookworm AS build
WORKDIR /src
RUN pip install --no-cache-dir build==1.2.1
COPY pyproject.toml README.md ./
COPY pytest_readiness ./pytest_readiness
COPY checks ./checks
RUN python -m build --wheel --outdir /wheels

# -- stage 2: the runtime, the package installed from that wheel only ---------------------------
FROM python:3.11.9-slim-bookworm
ARG READINESS_EXTRAS=all
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels/ /wheels/
COPY deploy/container/constraints.txt /wheels/constraints.txt
RUN wheel="$(ls /wheels/pytest_readiness-*.whl)" \
    && pip install --constraint /wheels/constraints.txt "${wheel}[${READINESS_EXTRAS}]" \
    && rm -rf /wheels \
    && groupadd --gid 10001 readiness \
    && useradd --uid 10001 --gid readiness --no-create-home --shell /usr/sbin/nologin readiness \
    && mkdir -p /reports /etc/readiness \
    && chown readiness:readiness /reports
# Reports go to a mounted volume; the profile and your checks to /etc/readiness.
VOLUME ["/reports"]
WORKDIR /etc/readiness
USER 10001:10001
ENTRYPOINT ["pytest", "-p", "no:cacheprovider"]
CMD ["--help"]
