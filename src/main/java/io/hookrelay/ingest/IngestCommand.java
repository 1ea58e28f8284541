package io.hookrelay.ingest;

import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.UUID;

/**
 * One accepted-for-storage request: the payload bytes as received, its optional idempotency key (scoped to the
 * route that received it), the tenant it belongs to, who sent it (for the audit log), the deliveries it fans out to
 * with their first status, and the W3C traceparent of its ingest span (null when tracing is off), stored so that its
 * attempts join the trace.
 */
public record IngestCommand(UUID tenantId, String actor, String eventType, Buffer payload, String scope,
    String idempotencyKey, List<Target> targets, String traceContext) {

  /**
   * A subscription this message goes to, the status its delivery starts in (pending, held or filtered), and its
   * ordering key when the subscription delivers in order (null when it does not).
   */
  public record Target(UUID subscriptionId, String status, String orderingKey) {}
}
