package io.hookrelay.tracing;

import io.hookrelay.config.ConfigException;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Traces of webhooks over OTLP, or nothing: wraps the OpenTelemetry SDK configured by the OTEL_* variables of the
 * node's environment. Off unless an OTLP endpoint is set, and then {@link #OFF}: every entry point answers null or
 * does nothing after one field check, so the hot path allocates nothing for it.
 *
 * <p>Spans are passed by hand, never made current: callbacks on an event loop run in no thread-local context.
 * Export is batched on the SDK's own thread.
 */
public final class Tracing {
  private static final Logger log = LoggerFactory.getLogger(Tracing.class);

  /** Tracing off: no SDK, no spans. */
  public static final Tracing OFF = new Tracing(null, null, false);

  public static final AttributeKey<String> WEBHOOK_ID = AttributeKey.stringKey("hookrelay.webhook_id");
  public static final AttributeKey<List<String>> WEBHOOK_IDS = AttributeKey.stringArrayKey("hookrelay.webhook_ids");
  public static final AttributeKey<String> SUBSCRIPTION_ID = AttributeKey.stringKey("hookrelay.subscription_id");
  public static final AttributeKey<String> EVENT_TYPE = AttributeKey.stringKey("hookrelay.event_type");
  public static final AttributeKey<Long> ATTEMPT_NUMBER = AttributeKey.longKey("hookrelay.attempt_number");
  public static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("hookrelay.outcome");
  public static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
  public static final AttributeKey<String> HTTP_ROUTE = AttributeKey.stringKey("http.route");
  public static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
  public static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
  public static final AttributeKey<String> URL_FULL = AttributeKey.stringKey("url.full");
  public static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  static final String ATTEMPT_SPAN = "webhook attempt";
  private static final String SCOPE = "io.hookrelay";
  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
  private static final TextMapGetter<String> TRACEPARENT = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(String carrier) {
      return List.of("traceparent");
    }

    @Override
    public String get(String carrier, String key) {
      return "traceparent".equals(key) ? carrier : null;
    }
  };

  private final OpenTelemetrySdk sdk;
  private final Tracer tracer;
  private final boolean propagate;

  private Tracing(OpenTelemetrySdk sdk, Tracer tracer, boolean propagate) {
    this.sdk = sdk;
    this.tracer = tracer;
    this.propagate = propagate;
  }

  /**
   * Starts the SDK from the OTEL_* entries of {@code env} (the environment, or a test's), or answers {@link #OFF}
   * when neither OTEL_EXPORTER_OTLP_ENDPOINT nor OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (or OTEL_SDK_DISABLED).
   *
   * @param propagate whether receivers get a W3C traceparent header with each attempt
   */
  public static Tracing start(Map<String, String> env, boolean propagate) {
    Map<String, String> otel = otelProperties(env);
    boolean endpoint = otel.containsKey("otel.exporter.otlp.endpoint")
        || otel.containsKey("otel.exporter.otlp.traces.endpoint");
    if (!endpoint || "true".equalsIgnoreCase(otel.get("otel.sdk.disabled"))) {
      if (propagate) {
        log.warn("HOOKRELAY_PROPAGATE_TRACE_CONTEXT is on but tracing is off (no OTEL_EXPORTER_OTLP_ENDPOINT): "
            + "receivers get no traceparent");
      }
      return OFF;
    }
    // Our defaults first, the variables over them: only traces leave the node, over HTTP (the JDK's client sends
    // them; gRPC would need okhttp, which is left out).
    Map<String, String> defaults = Map.of(
        "otel.service.name", "hookrelay",
        "otel.exporter.otlp.protocol", "http/protobuf",
        "otel.metrics.exporter", "none",
        "otel.logs.exporter", "none");
    OpenTelemetrySdk sdk;
    try {
      sdk = AutoConfiguredOpenTelemetrySdk.builder()
          .addPropertiesSupplier(() -> defaults)
          .addPropertiesSupplier(() -> otel)
          .disableShutdownHook() // Node.stop flushes and shuts it down, after the last attempt ended
          .build()
          .getOpenTelemetrySdk();
    } catch (ConfigurationException e) { // a bad OTEL_* value: one line at start-up, like ours
      throw new ConfigException("OTEL_* variables: " + e.getMessage());
    }
    log.info("tracing on: OTLP to {} ({})", otel.getOrDefault("otel.exporter.otlp.traces.endpoint",
        otel.get("otel.exporter.otlp.endpoint")), otel.getOrDefault("otel.exporter.otlp.protocol", "http/protobuf"));
    return new Tracing(sdk, sdk.getTracer(SCOPE), propagate);
  }

  /** OTEL_FOO_BAR=x as otel.foo.bar=x, the SDK's property names. */
  static Map<String, String> otelProperties(Map<String, String> env) {
    Map<String, String> out = new HashMap<>();
    env.forEach((k, v) -> {
      if (k.startsWith("OTEL_") && v != null && !v.isBlank()) {
        out.put(k.toLowerCase(Locale.ROOT).replace('_', '.'), v.trim());
      }
    });
    return Collections.unmodifiableMap(out);
  }

  public boolean enabled() {
    return tracer != null;
  }

  /** Whether attempts carry a traceparent header to receivers. */
  public boolean propagates() {
    return propagate;
  }

  /**
   * The server span of an ingest request, a child of the producer's trace when its request carried a
   * traceparent. Only when {@link #enabled()}.
   */
  public Span startIngest(String method, String route, String path, Function<String, String> requestHeader) {
    Context parent = W3C.extract(Context.root(), requestHeader, new TextMapGetter<>() {
      @Override
      public Iterable<String> keys(Function<String, String> carrier) {
        return List.of("traceparent", "tracestate");
      }

      @Override
      public String get(Function<String, String> carrier, String key) {
        return carrier == null ? null : carrier.apply(key);
      }
    });
    return tracer.spanBuilder(method + " " + route).setSpanKind(SpanKind.SERVER).setParent(parent)
        .setAttribute(HTTP_METHOD, method).setAttribute(HTTP_ROUTE, route).setAttribute(URL_PATH, path)
        .startSpan();
  }

  /** Ends an ingest span with the status the request was answered with (5xx is an error, 4xx the client's). */
  public static void endIngest(Span span, int status) {
    span.setAttribute(HTTP_STATUS, status);
    if (status >= 500) {
      span.setStatus(StatusCode.ERROR);
      span.setAttribute(ERROR_TYPE, Integer.toString(status));
    }
    span.end();
  }

  /** The W3C traceparent of a span: what is stored with the message so that its attempts join the trace. */
  public static String traceparent(Span span) {
    if (!span.getSpanContext().isValid()) {
      return null;
    }
    String[] out = new String[1];
    W3C.inject(Context.root().with(span), out, (carrier, key, value) -> {
      if ("traceparent".equals(key)) {
        carrier[0] = value;
      }
    });
    return out[0];
  }

  /**
   * Starts the span of one delivery attempt, a child of the ingest span named by {@code traceparent} (a new trace
   * when there is none: the webhook came in while tracing was off). Null when tracing is off.
   */
  public Attempt startAttempt(String traceparent, UUID webhookId, UUID subscriptionId, int attemptNumber,
      String eventType) {
    if (tracer == null) {
      return null;
    }
    Context parent = traceparent == null ? Context.root() : W3C.extract(Context.root(), traceparent, TRACEPARENT);
    var builder = tracer.spanBuilder(ATTEMPT_SPAN).setSpanKind(SpanKind.CONSUMER).setParent(parent)
        .setAttribute(WEBHOOK_ID, webhookId.toString())
        .setAttribute(SUBSCRIPTION_ID, subscriptionId.toString())
        .setAttribute(ATTEMPT_NUMBER, attemptNumber);
    if (eventType != null) {
      builder.setAttribute(EVENT_TYPE, eventType);
    }
    return new Attempt(builder.startSpan());
  }

  /** Flushes what is buffered and stops the exporter, within a bound. Blocking: call after Vert.x closed. */
  public void close() {
    if (sdk == null) {
      return;
    }
    CompletableResultCode done = sdk.shutdown().join(5, TimeUnit.SECONDS);
    if (!done.isSuccess()) {
      log.warn("tracing: spans not all exported at shutdown");
    }
  }

  /** The span of one attempt, and the HTTP client span inside it. */
  public final class Attempt {
    private final Span span;

    private Attempt(Span span) {
      this.span = span;
    }

    public Span span() {
      return span;
    }

    /** The client span of the attempt's request. */
    public Request startRequest(String method, String url) {
      return new Request(tracer.spanBuilder(method).setSpanKind(SpanKind.CLIENT)
          .setParent(Context.root().with(span))
          .setAttribute(HTTP_METHOD, method).setAttribute(URL_FULL, url)
          .startSpan());
    }

    /** Ends the attempt as judged: its outcome, the status code (null without an answer) and the error. */
    public void end(String outcome, Integer statusCode, String error) {
      span.setAttribute(OUTCOME, outcome);
      if (statusCode != null) {
        span.setAttribute(HTTP_STATUS, statusCode.longValue());
      }
      if (error != null) {
        span.setStatus(StatusCode.ERROR, error);
      }
      span.end();
    }

    /** Ends an attempt that was not put on record (our shutdown, or the write failed). */
    public void notRecorded(Throwable cause) {
      span.setStatus(StatusCode.ERROR, "not recorded: " + cause.getMessage());
      span.end();
    }
  }

  /** The HTTP client span of one request to a target. */
  public final class Request {
    private final Span span;

    private Request(Span span) {
      this.span = span;
    }

    /** Puts the traceparent of this request's span into its headers, when propagation is on. */
    public void inject(BiConsumer<String, String> header) {
      if (propagate) {
        W3C.inject(Context.root().with(span), header, BiConsumer::accept);
      }
    }

    /** The target answered: client spans count 4xx and 5xx as errors. */
    public void answered(int status) {
      span.setAttribute(HTTP_STATUS, status);
      if (status >= 400) {
        span.setStatus(StatusCode.ERROR);
        span.setAttribute(ERROR_TYPE, Integer.toString(status));
      }
      span.end();
    }

    /** No answer: the exception and the attempt's short description of it. */
    public void failed(Throwable err, String description) {
      span.recordException(err);
      span.setStatus(StatusCode.ERROR, description);
      span.setAttribute(ERROR_TYPE, err.getClass().getName());
      span.end();
    }
  }
}
