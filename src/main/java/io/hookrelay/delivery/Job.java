package io.hookrelay.delivery;

import io.hookrelay.store.Subscription;
import java.util.UUID;

/** A job from the queue, as a poller named it (its reply address and stream entry), with its subscription. */
record Job(String replyTo, String entryId, UUID deliveryId, Subscription subscription) {}
