# One image for every Harrier component; the command picks the component:
#   docker run harrier server executor --config /etc/harrier/harrier.yml
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /opt/harrier

COPY pyproject.toml README.md ./
COPY harrier ./harrier
RUN pip install --no-cache-dir . && useradd --system --create-home harrier
USER harrier

ENTRYPOINT ["harrier"]
CMD ["server", "standalone", "--config", "/etc/harrier/harrier.yml"]
