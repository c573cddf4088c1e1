# One image for every Python service (controller_api, onoff, thermostat_reader,
# p1_reader, the migrations, and with EXTRAS=sim the simulated house); compose
# picks the command. Builds for arm64 (Raspberry Pi 4/5, 64-bit OS) and amd64.
FROM python:3.12-slim-bookworm

ARG EXTRAS=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY db ./db
COPY common ./common
COPY protocols ./protocols
COPY controller_api ./controller_api
COPY onoff ./onoff
COPY thermostat_reader ./thermostat_reader
COPY p1_reader ./p1_reader
COPY simulator ./simulator
RUN pip install ".${EXTRAS:+[$EXTRAS]}" \
    && useradd --system --groups dialout --home /var/lib/heating --create-home heating \
    && mkdir -p /var/lib/heating && chown heating /var/lib/heating

# Spools and caches live here (a named volume in compose), so nothing a
# reader buffered is lost when its container is replaced.
VOLUME /var/lib/heating
USER heating
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "--timeout", "60", "controller_api:create_app()"]
