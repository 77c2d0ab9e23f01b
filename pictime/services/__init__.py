"""Pic-Time use cases, one module per area: connection, galleries (the panel), autocreate, sync,
webhooks, and queue (what hands work to the worker). Views, tasks, the admin and the API call these;
they call Pic-Time through `common.api_for(connection)`, the one way to get a connection's client.
Imports point one way: queue → pictime.tasks → the services that do the work.
"""
