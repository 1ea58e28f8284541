package io.hookrelay.store;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Gathers items written one by one into batches written in one statement: a batch goes when it is full or after a
 * short delay, and each item learns its own result. Lives on one event loop.
 *
 * @param <I> what is written
 * @param <O> each item's result, in the order of the batch
 */
final class Batcher<I, O> {
  private final Vertx vertx;
  private final int maxSize;
  private final long delayMs;
  private final Function<List<I>, Future<List<O>>> write;
  private List<I> items = new ArrayList<>();
  private List<Promise<O>> waiting = new ArrayList<>();
  private boolean scheduled;
  private int running;

  Batcher(Vertx vertx, int maxSize, long delayMs, Function<List<I>, Future<List<O>>> write) {
    this.vertx = vertx;
    this.maxSize = maxSize;
    this.delayMs = delayMs;
    this.write = write;
  }

  Future<O> add(I item) {
    Promise<O> result = Promise.promise();
    items.add(item);
    waiting.add(result);
    if (items.size() >= maxSize) {
      flush();
    } else if (!scheduled) {
      scheduled = true;
      vertx.setTimer(delayMs, id -> flush());
    }
    return result.future();
  }

  void flush() {
    scheduled = false;
    if (items.isEmpty()) {
      return;
    }
    List<I> batch = items;
    List<Promise<O>> promises = waiting;
    items = new ArrayList<>();
    waiting = new ArrayList<>();
    running++;
    write.apply(batch).onComplete(ar -> {
      running--;
      for (int i = 0; i < promises.size(); i++) {
        if (ar.succeeded()) {
          promises.get(i).complete(ar.result().get(i));
        } else {
          promises.get(i).fail(ar.cause());
        }
      }
    });
  }

  /** Nothing gathered and nothing on its way to the database. */
  boolean idle() {
    return items.isEmpty() && running == 0;
  }
}
