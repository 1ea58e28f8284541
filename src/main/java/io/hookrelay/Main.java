package io.hookrelay;

import io.hookrelay.config.ConfigException;
import io.hookrelay.config.ConfigLoader;
import io.hookrelay.config.HookrelayConfig;
import io.hookrelay.embedded.DataDirUnusableException;
import io.hookrelay.sink.SinkMain;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import sun.misc.Signal;

/** Entry point: {@code serve} (the default) runs a node; {@code sink} runs the test receiver. */
public final class Main {
  private static final String USAGE = """
      usage: java -jar hookrelay.jar [serve]          run a node (configuration: conf/config.json, HOOKRELAY_* variables)
             java -jar hookrelay.jar sink [options]   run a test receiver (sink --help for its options)
             java -jar hookrelay.jar healthcheck [url] exit 0 when the node's /ready (or url) answers 200, else 1
      """;

  private Main() {}

  public static void main(String[] args) {
    String command = args.length == 0 ? "serve" : args[0];
    switch (command) {
      case "serve" -> serve();
      case "sink" -> System.exit(SinkMain.run(Arrays.copyOfRange(args, 1, args.length)));
      case "healthcheck" -> System.exit(Healthcheck.run(Arrays.copyOfRange(args, 1, args.length), System.getenv()));
      case "help", "--help", "-h" -> System.out.print(USAGE);
      default -> {
        System.err.print("hookrelay: unknown command '" + command + "'\n" + USAGE);
        System.exit(2);
      }
    }
  }

  private static void serve() {
    HookrelayConfig config;
    try {
      config = ConfigLoader.load();
    } catch (ConfigException e) {
      System.err.println("hookrelay: configuration error: " + e.getMessage());
      System.exit(2);
      return;
    }
    // Chosen before the first logger exists, so logback picks the right appender.
    System.setProperty("hookrelay.log.format", config.logFormat());
    // Handled from before the start: a SIGTERM that came between "up" and the handlers once ended the JVM with 143.
    // A signal during start-up waits for it (bounded), then stops what started, in order.
    CountDownLatch started = new CountDownLatch(1);
    AtomicReference<Node> running = new AtomicReference<>();
    Runnable stop = () -> {
      try {
        started.await(3, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Node up = running.get();
      if (up != null) {
        up.stop();
      }
      System.exit(0);
    };
    // SIGTERM and SIGINT stop gracefully and exit 0; the hook covers other exits.
    Signal.handle(new Signal("TERM"), s -> new Thread(stop, "shutdown").start());
    Signal.handle(new Signal("INT"), s -> new Thread(stop, "shutdown").start());
    Node node;
    try {
      node = Node.start(System.getenv());
    } catch (ConfigException e) {
      System.err.println("hookrelay: configuration error: " + e.getMessage());
      System.exit(2);
      return;
    } catch (StartupRefused | DataDirUnusableException e) {
      System.err.println("hookrelay: " + e.getMessage());
      System.exit(2);
      return;
    } catch (Exception e) {
      if (causedBy(e, java.net.BindException.class)) {
        // Taken between the check and the listen: still one line.
        System.err.println("hookrelay: " + StartupChecks.portInUse(config.httpPort()).getMessage());
        System.exit(2);
        return;
      }
      org.slf4j.LoggerFactory.getLogger(Main.class).error("start-up failed", e);
      System.exit(1);
      return;
    }
    running.set(node);
    started.countDown();
    Runtime.getRuntime().addShutdownHook(new Thread(node::stop, "shutdown-hook"));
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }
}
