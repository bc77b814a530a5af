"""The Chalice app: routes, queue consumers and schedules, each from its blueprint."""

from chalice import Chalice

from chalicelib.api import accounts, console, engagement, fans, feed, following, hot, meta, moderation, posts, stats
from chalicelib.api import discovery as discovery_api
from chalicelib.api import grading as grading_api
from chalicelib.api import notifications as notifications_api
from chalicelib.api import products as products_api
from chalicelib.api import realtime as realtime_api
from chalicelib.api.middleware import normalise_errors
from chalicelib.api.observe import observe_event, observe_request
from chalicelib.events import activity_and_hot_list, post_workers
from chalicelib.events import discovery as discovery_events
from chalicelib.events import grading as grading_events
from chalicelib.events import new_products as new_products_events
from chalicelib.events import notifications as notification_events
from chalicelib.events import realtime as realtime_events

app = Chalice(app_name="weitao")
app.experimental_feature_flags.update(["WEBSOCKETS"])  # realtime push (events/realtime.py)
# Registered first, so it runs outermost: it sees the error bodies normalise_errors shapes.
app.register_middleware(observe_request, "http")
app.register_middleware(normalise_errors, "http")
for event_type in ("sqs", "scheduled"):
    app.register_middleware(observe_event, event_type)

for blueprint in (meta.bp, accounts.bp, following.bp, posts.bp, feed.bp, post_workers.bp, engagement.bp, stats.bp,
                  hot.bp, activity_and_hot_list.bp, moderation.bp, grading_api.bp, grading_events.bp,
                  products_api.bp, new_products_events.bp,
                  notifications_api.bp, notification_events.bp, realtime_api.bp, realtime_events.bp,
                  discovery_api.bp, discovery_events.bp, fans.bp, console.bp):
    app.register_blueprint(blueprint)

# Chalice wraps WebSocket handlers only on the app; the names must match (the Lambda handler is app.<name>).
websocket_connect = app.on_ws_connect()(realtime_events.websocket_connect)
websocket_message = app.on_ws_message()(realtime_events.websocket_message)
websocket_disconnect = app.on_ws_disconnect()(realtime_events.websocket_disconnect)

if console.local_tokens_enabled():
    from chalicelib.api import local_tokens

    app.register_blueprint(local_tokens.bp)
