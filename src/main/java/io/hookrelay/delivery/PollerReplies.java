package io.hookrelay.delivery;

import io.hookrelay.bus.Dispatch;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * What became of the jobs a poller sent (done, deferred, or released to be claimed again), gathered over one turn of
 * the event loop and sent as one message per poller.
 */
final class PollerReplies {
  private final Vertx vertx;
  private final Dispatch.Completions completions = new Dispatch.Completions();
  private boolean scheduled;

  PollerReplies(Vertx vertx) {
    this.vertx = vertx;
  }

  /** On record, or nothing was due: the entry is acknowledged. */
  void done(Job job) {
    done(job.replyTo(), job.entryId());
  }

  void done(String replyTo, String entryId) {
    completions.done(replyTo, entryId);
    schedule();
  }

  /** Not recorded: the entry stays pending and is claimed again after the visibility timeout. */
  void released(Job job) {
    released(job.replyTo(), job.entryId());
  }

  void released(String replyTo, String entryId) {
    completions.released(replyTo, entryId);
    schedule();
  }

  /** The entry goes to the retry set until {@code dueMs}. */
  void defer(Job job, long dueMs) {
    completions.defer(job.replyTo(), job.entryId(), job.deliveryId().toString(), job.subscription().id().toString(),
        dueMs);
    schedule();
  }

  /**
   * Jobs given back on the way out: due at once when PostgreSQL took their claims back, else left pending for their
   * leases to lapse. Sent at once, as the node is stopping.
   */
  void givenBack(List<Job> jobs, Future<Void> claimsReleased) {
    long now = System.currentTimeMillis();
    claimsReleased.onComplete(ar -> {
      jobs.forEach(job -> {
        if (ar.succeeded()) {
          defer(job, now);
        } else {
          released(job);
        }
      });
      flush();
    });
  }

  void flush() {
    scheduled = false;
    for (Map.Entry<String, JsonObject> e : completions.drain()) {
      vertx.eventBus().send(e.getKey(), e.getValue());
    }
  }

  private void schedule() {
    if (!scheduled) {
      scheduled = true;
      vertx.runOnContext(v -> flush());
    }
  }
}
