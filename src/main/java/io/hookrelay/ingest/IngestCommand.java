package io.hookrelay.ingest;

import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.UUID;

/**
 * One accepted-for-storage request: the payload bytes as received, its optional idempotency key (scoped to the
 * route that received it), the tenant it belongs to, who sent it (for the audit log), and the deliveries it fans out to with their first status.
 */
public record IngestCommand(UUID tenantId, String actor, String eventType, Buffer payload, String scope, String idempotencyKey,
    List<Target> targets) {

  /** A subscription this message goes to, and the status its delivery starts in (pending, held or filtered). */
  public record Target(UUID subscriptionId, String status) {}
}
