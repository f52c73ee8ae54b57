# PLUT Front Desk: one image for the web processes (`frontdesk run`), the delivery workers
# (`frontdesk worker`) and the one-shot migration (`frontdesk db upgrade`); see docker-compose.yml
# and docs/deploy.md.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NLU_CACHE_DIR=/app/var/nlu-cache \
    FRONTDESK_LOG_FORMAT=json

WORKDIR /app
RUN groupadd --system --gid 10001 frontdesk \
 && useradd --system --uid 10001 --gid frontdesk --home-dir /app --no-create-home --shell /usr/sbin/nologin frontdesk

# Dependencies first, in their own layer: a change of code or content does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# The checkout layout (code beside flows/, nlu/, locales/, data/), installed in place so the
# `frontdesk` command and the content folder are the same as in a development checkout.
# The gettext catalogs are compiled and the NLU model trained now, not at every start.
COPY . .
RUN pip install --no-deps -e . \
 && python -c "from pathlib import Path; from bot.i18n import compile_catalogs; compile_catalogs(Path('/app/locales'))" \
 && frontdesk nlu train \
 && chown -R frontdesk:frontdesk /app/var

USER frontdesk
EXPOSE 8000

# /healthz: the process answers and reaches its database. (No curl in the slim image: Python asks.)
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["frontdesk", "run", "--host", "0.0.0.0", "--port", "8000"]
