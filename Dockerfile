# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md alembic.ini ./
COPY feed ./feed
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 feed
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER feed
WORKDIR /home/feed
ENV FEED_DATA_DIR=/home/feed/data \
    FEED_DATABASE_URL=sqlite:////home/feed/data/feed.db
VOLUME ["/home/feed/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["feed", "serve", "--host", "0.0.0.0", "--port", "8000"]
