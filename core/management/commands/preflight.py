import sys

import psycopg
import redis
from django.conf import settings
from django.core.management.base import BaseCommand
from psycopg import sql


class Command(BaseCommand):
    help = "Check that PostgreSQL and Redis answer, and create the database if it is missing."

    def handle(self, *args, **options):
        ok = self._check_postgres() & self._check_redis()
        if not ok:
            sys.exit(1)

    def _conninfo(self, dbname: str) -> dict:
        db = settings.DATABASES["default"]
        return {
            "dbname": dbname,
            "user": db.get("USER") or None,
            "password": db.get("PASSWORD") or None,
            "host": db.get("HOST") or None,
            "port": db.get("PORT") or None,
            "connect_timeout": 3,
        }

    def _check_postgres(self) -> bool:
        name = settings.DATABASES["default"]["NAME"]
        url = f"postgres://{settings.DATABASES['default'].get('HOST') or 'localhost'}:{settings.DATABASES['default'].get('PORT') or 5432}/{name}"
        try:
            psycopg.connect(**self._conninfo(name)).close()
        except psycopg.OperationalError as exc:
            if "does not exist" not in str(exc):
                self.stderr.write(
                    self.style.ERROR(f"PostgreSQL does not answer at {url} (DATABASE_URL).\n  {str(exc).strip()}\n")
                    + "  Start it, e.g.: pg_ctlcluster --skip-systemctl-redirect 15 main start"
                    " (or `sudo systemctl start postgresql`), or set DATABASE_URL in .env."
                )
                return False
            try:
                with psycopg.connect(**self._conninfo("postgres"), autocommit=True) as conn:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            except psycopg.Error as create_exc:
                self.stderr.write(self.style.ERROR(f"Could not create the database {name}: {create_exc}"))
                return False
            self.stdout.write(f"Created the database {name}.")
        self.stdout.write(self.style.SUCCESS(f"PostgreSQL answers at {url}."))
        return True

    def _check_redis(self) -> bool:
        url = settings.CELERY_BROKER_URL
        try:
            redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        except redis.RedisError as exc:
            self.stderr.write(
                self.style.ERROR(f"Redis does not answer at {url} (REDIS_URL).\n  {exc}\n")
                + "  Start it, e.g.: redis-server --daemonize yes (or `sudo systemctl start redis-server`),"
                " or set REDIS_URL in .env."
            )
            return False
        self.stdout.write(self.style.SUCCESS(f"Redis answers at {url}."))
        return True
