package io.hookrelay.testing;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits on a condition with a deadline, polling; never a fixed sleep. */
public final class Await {
  private Await() {}

  public static void until(Duration timeout, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Throwable last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException | AssertionError e) {
        last = e;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + what);
      }
    }
    throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what, last);
  }

  /** Polls until the supplier's value satisfies the condition; answers that value. */
  public static <T> T value(Duration timeout, String what, Supplier<T> supplier, java.util.function.Predicate<T> ok) {
    Object[] holder = new Object[1];
    until(timeout, what, () -> {
      T v = supplier.get();
      holder[0] = v;
      return ok.test(v);
    });
    @SuppressWarnings("unchecked")
    T result = (T) holder[0];
    return result;
  }

  /** Runs {@code action} on {@code context} (where single-context classes live) and waits up to 10 s for its future. */
  public static <T> T onContext(Context context, Callable<Future<T>> action) {
    Promise<T> result = Promise.promise();
    context.runOnContext(v -> {
      try {
        action.call().onComplete(result);
      } catch (Exception e) {
        result.fail(e);
      }
    });
    try {
      return result.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
