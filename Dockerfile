# Hearth production image: gunicorn serves the site; the same image runs the worker and beat.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/venv
WORKDIR /app
RUN pip install --no-cache-dir uv
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
ENV PATH="/opt/venv/bin:$PATH" HEARTH_VAR_DIR=/data
# Collect with the production storage (DEBUG off) so whitenoise finds its manifest at run time;
# the throwaway key exists only for this build step.
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=collectstatic-build-only python manage.py collectstatic --noinput \
    && useradd --create-home --uid 10001 hearth \
    && mkdir -p /data/media \
    && chown -R hearth /data
USER hearth
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "30", "--access-logfile", "-"]
