-- The W3C traceparent of the request that ingested a message, when tracing is on (null otherwise): its deliveries'
-- attempts, on whichever node and after any restart, join that request's trace.
ALTER TABLE messages ADD COLUMN trace_context text;
