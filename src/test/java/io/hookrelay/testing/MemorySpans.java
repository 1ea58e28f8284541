package io.hookrelay.testing;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.List;

/**
 * The span exporter {@code OTEL_TRACES_EXPORTER=memory} names (registered as a service for the SDK's autoconfigure):
 * every node of the test JVM exports into one {@link InMemorySpanExporter}, kept across node restarts, so that a
 * test sees a trace that several nodes wrote.
 */
public final class MemorySpans implements ConfigurableSpanExporterProvider {
  private static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();

  /** Every span ended and exported so far, by any node of this JVM. */
  public static List<SpanData> all() {
    return SPANS.getFinishedSpanItems();
  }

  @Override
  public String getName() {
    return "memory";
  }

  @Override
  public SpanExporter createExporter(ConfigProperties config) {
    // A node's shutdown stops its exporter; the spans it exported must outlive it.
    return new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        return SPANS.export(spans);
      }

      @Override
      public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
      }
    };
  }
}
