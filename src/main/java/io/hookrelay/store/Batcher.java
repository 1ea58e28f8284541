package io.hookrelay.store;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Gathers items written one by one into batches written in one statement, as a group commit: while a write is on its
 * way to the database, new items gather, and they go together the moment it is answered. So a batch holds what
 * arrived during one round trip, and batches grow with the load instead of the number of statements. A batch also
 * goes when it is full, and, with no write under way, after a short delay (at once after a quiet spell). Each item
 * learns its own result. Lives on one event loop.
 *
 * @param <I> what is written
 * @param <O> each item's result, in the order of the batch
 */
public final class Batcher<I, O> {
  /**
   * A batcher whose last write began longer ago than this writes on the event loop's next turn instead of after its
   * delay: at a trickle, waiting gathers nothing and only costs a timer's wake-up and the delay on each item.
   */
  private static final long QUIET_NANOS = 20_000_000;
  private final Vertx vertx;
  private final int maxSize;
  private final long delayMs;
  private final int maxWrites;
  private final Function<List<I>, Future<List<O>>> write;
  private List<I> items = new ArrayList<>();
  private List<Promise<O>> waiting = new ArrayList<>();
  private boolean scheduled;
  private int running;
  private long lastWriteNanos = quietStart();

  /**
   * A group commit of one write under way at a time: the items arriving meanwhile go in the next.
   *
   * @param maxSize the most items in one write; a full batch goes at once, even while another is under way
   * @param delayMs how long items gather when no write is under way (0: until the event loop's next turn)
   */
  public Batcher(Vertx vertx, int maxSize, long delayMs, Function<List<I>, Future<List<O>>> write) {
    this(vertx, maxSize, delayMs, 1, write);
  }

  /** @param maxWrites writes under way at once before further items wait for one of them to end */
  Batcher(Vertx vertx, int maxSize, long delayMs, int maxWrites, Function<List<I>, Future<List<O>>> write) {
    if (maxSize < 1 || maxWrites < 1 || delayMs < 0) {
      throw new IllegalArgumentException("maxSize and maxWrites must be positive, delayMs not negative");
    }
    this.vertx = vertx;
    this.maxSize = maxSize;
    this.delayMs = delayMs;
    this.maxWrites = maxWrites;
    this.write = write;
  }

  /** Whether a writer whose last write began at {@code lastWriteNanos} (System.nanoTime) has been quiet. */
  public static boolean quietSince(long lastWriteNanos) {
    return System.nanoTime() - lastWriteNanos > QUIET_NANOS;
  }

  /** A last-write time that counts as quiet: what a writer starts from. */
  public static long quietStart() {
    return System.nanoTime() - QUIET_NANOS - 1;
  }

  public Future<O> add(I item) {
    Promise<O> result = Promise.promise();
    items.add(item);
    waiting.add(result);
    if (items.size() >= maxSize) {
      flush();
    } else if (running < maxWrites && !scheduled) {
      scheduled = true;
      if (delayMs == 0 || quietSince(lastWriteNanos)) {
        vertx.runOnContext(v -> whenDue());
      } else {
        vertx.setTimer(delayMs, id -> whenDue());
      }
    }
    // otherwise the write under way takes them along when it ends
    return result.future();
  }

  private void whenDue() {
    scheduled = false;
    if (running < maxWrites) {
      flush();
    }
  }

  /** Writes what is gathered now, whatever is under way. */
  public void flush() {
    if (items.isEmpty()) {
      return;
    }
    List<I> batch = items;
    List<Promise<O>> promises = waiting;
    items = new ArrayList<>();
    waiting = new ArrayList<>();
    running++;
    lastWriteNanos = System.nanoTime();
    Future<List<O>> written;
    try {
      written = write.apply(batch);
    } catch (RuntimeException e) {
      written = Future.failedFuture(e);
    }
    written.onComplete(ar -> {
      running--;
      for (int i = 0; i < promises.size(); i++) {
        if (ar.succeeded()) {
          promises.get(i).complete(ar.result().get(i));
        } else {
          promises.get(i).fail(ar.cause());
        }
      }
      // What gathered meanwhile has waited one round trip already: it goes now.
      if (!scheduled && running < maxWrites) {
        flush();
      }
    });
  }

  /** Nothing gathered and nothing on its way to the database. */
  public boolean idle() {
    return items.isEmpty() && running == 0;
  }
}
