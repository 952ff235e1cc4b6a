# syntax=docker/dockerfile:1
# A first working image: build a wheel, install it into a slim runtime as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir build==1.2.2 && python -m build --wheel --outdir /wheels

FROM python:3.11-slim
RUN useradd --create-home --uid 1000 rightsbot
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY knowledge ./knowledge
COPY quizzes ./quizzes
RUN mkdir -p /app/data && chown rightsbot:rightsbot /app/data
USER rightsbot
ENV KNOWLEDGE_DIR=/app/knowledge QUIZZES_DIR=/app/quizzes \
    DATABASE_URL=sqlite+aiosqlite:////app/data/rightsbot.db PYTHONUNBUFFERED=1
VOLUME ["/app/data"]
ENTRYPOINT ["rightsbot"]
CMD ["run"]
