# syntax=docker/dockerfile:1
# rightsbot: build wheels in one stage, install them into a slim runtime as a non-root user.
#   docker build -t rightsbot .        docker compose up -d        (docs/deploy.md)
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: wheels of the dependencies (cached while pyproject.toml is unchanged), then ours --------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml ./
# The dependency list comes from pyproject.toml itself: no second list to keep in step.
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt \
    && pip wheel --wheel-dir /wheels -r requirements.txt
COPY setup.py MANIFEST.in README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
COPY quizzes ./quizzes
# setup.py puts knowledge/ and quizzes/ into the wheel (bot/data/), so the package is complete alone.
RUN pip wheel --no-deps --wheel-dir /wheels .

# --- runtime ---------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
ARG UID=10001
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN groupadd --system --gid "${UID}" rightsbot \
    && useradd --system --uid "${UID}" --gid rightsbot --home-dir /app --shell /usr/sbin/nologin rightsbot
# Offline from the wheels built above: exactly what the build stage resolved, nothing fetched here.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels /wheels/rightsbot-*.whl
WORKDIR /app
# Editable copies for the admins (bind-mount your own over them: docker-compose.yml does); the
# copies inside the installed package are the fallback when these are missing.
COPY --chown=rightsbot:rightsbot knowledge ./knowledge
COPY --chown=rightsbot:rightsbot quizzes ./quizzes
RUN mkdir -p /app/data && chown rightsbot:rightsbot /app/data
ENV KNOWLEDGE_DIR=/app/knowledge \
    QUIZZES_DIR=/app/quizzes \
    DATABASE_URL=sqlite+aiosqlite:////app/data/rightsbot.db \
    WEBHOOK_LISTEN=:8080
VOLUME ["/app/data"]
EXPOSE 8080
USER ${UID}:${UID}
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["python", "-m", "bot.healthcheck"]
# SIGTERM (docker stop) finishes the updates in flight; give it the time: stop_grace_period ≥ 35 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["rightsbot"]
CMD ["run"]
