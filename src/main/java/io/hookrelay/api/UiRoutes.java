package io.hookrelay.api;

import io.hookrelay.store.EventTypeRepository;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The pages a person opens: the dashboard at {@code /ui} and Swagger UI at {@code /docs} (static files, no key:
 * each page asks for the key once and sends it with every API call), and the OpenAPI document they read, at
 * {@code /openapi.json}, which needs the key like the API it describes and carries the event-type catalogue as its
 * {@code webhooks}. Third-party assets come from webjars, so
 * nothing is fetched from a CDN.
 */
final class UiRoutes {
  /** Resolved once from the webjars' own pom.properties, so pom.xml stays the one place naming their versions. */
  private static final String SWAGGER_UI = webjar("org.webjars", "swagger-ui");
  private static final String UPLOT = webjar("org.webjars.npm", "uplot") + "/dist";

  void mountPublic(Router router) {
    // Browsers ask for it on every page, without the key: answered here, it is not a 401 in their console.
    router.get("/favicon.ico").handler(ctx -> ctx.response()
        .putHeader("content-type", "image/x-icon")
        .putHeader("cache-control", "public, max-age=86400")
        .sendFile("webroot/favicon.ico")
        .onFailure(ctx::fail));
    router.get("/ui/vendor/uplot/*").handler(StaticHandler.create(UPLOT));
    router.get("/ui/*").handler(StaticHandler.create("webroot/ui").setCachingEnabled(false));
    // Our page first; everything else under /docs is Swagger UI's own assets.
    router.get("/docs/*").handler(StaticHandler.create("webroot/docs").setCachingEnabled(false));
    router.get("/docs/*").handler(StaticHandler.create(SWAGGER_UI));
    // A missing file is a 404, not a request for the API key.
    router.get("/ui/*").handler(ctx -> ctx.fail(404));
    router.get("/docs/*").handler(ctx -> ctx.fail(404));
  }

  private final EventTypeRepository eventTypes;

  UiRoutes(EventTypeRepository eventTypes) {
    this.eventTypes = eventTypes;
  }

  void mount(Router router) {
    // Read from the table, not a cache: a type created a moment ago is in the next document.
    router.get("/openapi.json").handler(ctx -> eventTypes.all()
        .onSuccess(types -> Json.send(ctx, 200, OpenApiWebhooks.document(types)))
        .onFailure(err -> ctx.fail(ApiError.store(err))));
  }

  private static String webjar(String group, String artifact) {
    String pom = "META-INF/maven/" + group + "/" + artifact + "/pom.properties";
    try (InputStream in = UiRoutes.class.getClassLoader().getResourceAsStream(pom)) {
      if (in == null) {
        throw new IllegalStateException("webjar " + group + ":" + artifact + " is missing from the classpath");
      }
      Properties p = new Properties();
      p.load(in);
      return "META-INF/resources/webjars/" + artifact + "/" + p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
