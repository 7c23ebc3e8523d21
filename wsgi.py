"""Production entry point: gunicorn wsgi:app"""
import gc

from guidance import create_app

app = create_app()
# What the app is made of (modules, tables, translations, about 180,000 objects) lives as long as the
# worker: out of the collector's sight, a full collection scans only what requests made (at 2,000
# referrals it took 60-110 ms, now a few ms: it was the pages' slowest 5 %). Here, not in create_app:
# tests make an app per test, and frozen objects are never freed.
gc.collect()
gc.freeze()
