import io.hookrelay.tracing.Tracing;
import io.opentelemetry.api.trace.Span;
import java.util.Map;
import java.util.UUID;

/**
 * The tracing calls of one webhook in a loop, to size their cost apart from a loaded machine's noise: the ingest
 * span, its traceparent stored and read back, an attempt span and its client span with a traceparent injected,
 * exported over OTLP/HTTP to {@code args[0]} (any endpoint that accepts POSTs, e.g. the built-in sink).
 *
 *   javac -cp target/hookrelay.jar -d /tmp/tracing-cost bench/TracingCost.java
 *   java -jar target/hookrelay.jar sink --port 14319 --quiet &
 *   java -cp target/hookrelay.jar:/tmp/tracing-cost TracingCost http://127.0.0.1:14319 2>/dev/null
 */
public class TracingCost {
  public static void main(String[] args) {
    Tracing tracing = Tracing.start(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", args[0],
        "OTEL_BSP_MAX_QUEUE_SIZE", "65536"), true);
    UUID webhook = UUID.randomUUID();
    UUID subscription = UUID.randomUUID();
    for (int round = 0; round < 5; round++) {
      int n = 100_000;
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        Span ingest = tracing.startIngest("POST", "/ingest/{subscription_id}", "/ingest/" + subscription, h -> null);
        ingest.setAttribute(Tracing.SUBSCRIPTION_ID, subscription.toString());
        String traceparent = Tracing.traceparent(ingest);
        ingest.setAttribute(Tracing.WEBHOOK_ID, webhook.toString());
        Tracing.endIngest(ingest, 202);
        Tracing.Attempt attempt = tracing.startAttempt(traceparent, webhook, subscription, 1, "order.created");
        Tracing.Request request = attempt.startRequest("POST", "http://127.0.0.1:9/hook");
        request.inject((name, value) -> { });
        request.answered(200);
        attempt.end("Success", 200, null);
        if ((i & 1023) == 0) {
          try {
            Thread.sleep(1); // gives the export thread a moment; the loop still outruns it and the SDK drops some
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
      System.out.printf("round %d: %.1f us per webhook%n", round, (System.nanoTime() - t0) / 1000.0 / n);
    }
    tracing.close();
  }
}
