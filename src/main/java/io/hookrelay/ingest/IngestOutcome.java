package io.hookrelay.ingest;

import java.util.List;
import java.util.UUID;

/** What ingest answers: a new message, a repeat of an earlier one (same key and payload), or a key clash. */
public record IngestOutcome(Kind kind, UUID messageId, List<Delivery> deliveries) {

  public enum Kind { CREATED, DUPLICATE, CONFLICT }

  /** A delivery of the message: its id is the webhook_id. */
  public record Delivery(UUID webhookId, UUID subscriptionId, String status) {}
}
