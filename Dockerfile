# One image for every process of the production shape: web, worker, beat and the Pic-Time sandbox.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN SECRET_KEY=build-only FIELD_ENCRYPTION_KEY="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
    python manage.py collectstatic --no-input -v 0
RUN useradd --create-home studio && mkdir -p /app/var && chown -R studio /app/var
USER studio
EXPOSE 8000
CMD ["gunicorn", "-c", "python:crm.gunicorn_conf", "crm.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4"]
