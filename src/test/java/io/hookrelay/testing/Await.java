package io.hookrelay.testing;

import java.time.Duration;
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
}
