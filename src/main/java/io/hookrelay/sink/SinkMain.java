package io.hookrelay.sink;

import io.vertx.core.Vertx;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs the test receiver from the command line: {@code java -jar hookrelay.jar sink [options]}. */
public final class SinkMain {
  private static final long START_TIMEOUT_SECONDS = 30;
  private static final long STOP_TIMEOUT_SECONDS = 10;

  private SinkMain() {}

  /**
   * Parses {@code args} (the words after {@code sink}), starts the receiver and serves until the JVM is stopped
   * (SIGTERM or Ctrl-C close it through a shutdown hook). Returns the process exit code: 0 after --help or a clean
   * stop, 2 for bad arguments, 1 when the receiver cannot start.
   */
  public static int run(String[] args) {
    if (SinkOptions.wantsHelp(args)) {
      System.out.println(SinkOptions.HELP);
      return 0;
    }
    SinkOptions options;
    try {
      options = SinkOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("sink: " + e.getMessage());
      return 2;
    }

    Vertx vertx = Vertx.vertx();
    SinkServer sink;
    try {
      // blocking here is fine: this is the main thread, not an event loop
      sink = SinkServer.start(vertx, options).toCompletionStage().toCompletableFuture()
          .get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException | InterruptedException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      System.err.println("sink: cannot listen on " + options.host() + ":" + options.port() + ": " + cause.getMessage());
      vertx.close();
      return 1;
    }
    System.out.println("sink listening on http://" + options.host() + ":" + sink.port());

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        // closing Vert.x closes the server too; chaining on sink.close() would complete on a dead event loop
        vertx.close().toCompletionStage().toCompletableFuture().get(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("sink: unclean stop: " + e);
      } finally {
        System.out.println(sink.stats().line() + " (stopped)");
        stopped.countDown();
      }
    }, "sink-shutdown"));

    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}
