# One image for every Harrier component; the command picks the component:
#   docker run harrier server executor --config /etc/harrier/harrier.yml

# The web UI, built where the webserver serves it from (harrier/webserver/ui_dist).
FROM node:20-slim AS ui
WORKDIR /src
COPY ui/package.json ui/package-lock.json ./ui/
RUN cd ui && npm ci
COPY ui ./ui
RUN cd ui && npm run build

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /opt/harrier

COPY pyproject.toml README.md ./
COPY harrier ./harrier
COPY --from=ui /src/harrier/webserver/ui_dist ./harrier/webserver/ui_dist
# storage.base-path of harrier/config/docker.yml, made the component user's: a volume mounted
# there starts with this owner.
# A numeric user, so Kubernetes' runAsNonRoot can check it (deploy/kubernetes/harrier.yml).
RUN pip install --no-cache-dir . && useradd --system --uid 10001 --create-home harrier \
    && mkdir -p /var/lib/harrier/storage && chown -R harrier /var/lib/harrier
USER 10001

ENTRYPOINT ["harrier"]
CMD ["server", "standalone", "--config", "/etc/harrier/harrier.yml"]
