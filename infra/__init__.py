"""Deployment: the CloudFormation (SAM) template built from `chalice package` and the code's registries.

``make package`` runs :mod:`infra.build`. Tables come from ``ALL_MODELS``, queues from
``QUEUES``, consumers and schedules from ``app.event_sources``, per-function IAM from
:mod:`infra.access`; :mod:`infra.checks` holds the checks ``make test`` runs on the result.
"""
