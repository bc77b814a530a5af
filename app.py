"""The Chalice app: routes, queue consumers and schedules, each from its blueprint."""

from chalice import Chalice

from chalicelib.api import accounts, feed, following, meta, posts
from chalicelib.api.middleware import normalise_errors
from chalicelib.events import pipeline

app = Chalice(app_name="weitao")
app.register_middleware(normalise_errors, "http")

for blueprint in (meta.bp, accounts.bp, following.bp, posts.bp, feed.bp, pipeline.bp):
    app.register_blueprint(blueprint)
