"""Pic-Time use cases, one module per area: connection, galleries (the panel), autocreate, sync,
webhooks, the emails. Views, tasks, the admin and the API call these; they call Pic-Time through
`Connection.api()`, the one way to get a connection's client. They never import pictime.tasks: work
for a worker is announced by a signal (pictime.signals), which pictime.receivers hands to
pictime.queue, so imports point one way: queue → tasks → services.
"""
