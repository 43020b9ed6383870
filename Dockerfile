# The commissioning optimiser: CLI and HTTP service in one image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    COMMISSION_DATABASE_URL=sqlite:////var/lib/commission/commission.db
WORKDIR /app
# Pango, HarfBuzz and a font: WeasyPrint renders the PDF report with them.
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
# Exact versions (with hashes) from the lock, the same one the README and CI install (test tools
# included: one lock for all three), setuptools too, which builds the project below without
# fetching anything (--no-build-isolation).
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml README.md ./
COPY models ./models
COPY optimiser ./optimiser
COPY api ./api
COPY data ./data
RUN pip install --no-cache-dir --no-deps --no-build-isolation . && mkdir -p /var/lib/commission \
    && useradd --system --home /var/lib/commission commission \
    && chown commission /var/lib/commission
# The database (SQLite by default) lives here: mount a volume on it, or a new container (an
# upgrade) starts with an empty database. PostgreSQL (COMMISSION_DATABASE_URL) suits production.
VOLUME /var/lib/commission
USER commission
EXPOSE 8000
# Ready: the service answers and reaches its database. The image has Python, not curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
ENTRYPOINT ["commission"]
# `docker run IMAGE solve data/example_icb` runs the tool; the default is the service.
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
