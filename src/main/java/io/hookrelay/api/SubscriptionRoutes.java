package io.hookrelay.api;

import io.hookrelay.config.HookrelayConfig;
import io.hookrelay.ops.OperationalEvents;
import io.hookrelay.delivery.Pem;
import io.hookrelay.delivery.Signer;
import io.hookrelay.delivery.SubscriptionCache;
import io.hookrelay.delivery.TargetGuard;
import io.hookrelay.ingest.EventTypeCatalogue;
import io.hookrelay.delivery.TargetResolver;
import io.hookrelay.delivery.TargetResolver.TargetRefusedException;
import io.hookrelay.queue.DeliveryQueue;
import io.hookrelay.store.ClientCertificate;
import io.hookrelay.store.DeliveryRepository;
import io.hookrelay.store.EventFilter;
import io.hookrelay.store.Ids;
import io.hookrelay.store.Subscription;
import io.hookrelay.store.SubscriptionPolicy;
import io.hookrelay.store.SubscriptionRepository;
import io.hookrelay.store.Times;
import io.hookrelay.tenant.Scope;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** /subscriptions: create, list, read, change, delete, rotate the secret, enable, recover, attempt history. */
final class SubscriptionRoutes {
  private static final Logger log = LoggerFactory.getLogger(SubscriptionRoutes.class);
  static final int MAX_EVENT_FILTERS = 100;
  private static final String V1A_TAKES_NO_SECRET = "secret cannot be given when signature_scheme is 'v1a': "
      + "hookrelay generates the ed25519 key pair, keeps the private key and returns the public_key";
  /** The fields a client may send; anything else is refused, so that a misspelt field never passes silently. */
  private static final List<String> CREATE_FIELDS = List.of("target_url", "secret", "events", "description",
      "rate_limit_per_s", "max_in_flight", "signature_scheme", "client_certificate", "ordering", "ordering_on_failure",
      "retry_schedule", "max_attempts", "timeout", "headers");
  private static final List<String> PATCH_FIELDS = List.of("target_url", "secret", "events", "description",
      "rate_limit_per_s", "max_in_flight", "status", "signature_scheme", "client_certificate", "ordering",
      "ordering_on_failure", "retry_schedule", "max_attempts", "timeout", "headers");
  /** Fields of a subscription that only the server sets. */
  private static final Set<String> READ_ONLY_FIELDS = Set.of("id", "status", "disabled_reason",
      "consecutive_failures", "created_at", "updated_at", "public_key");
  /** Fields a PATCH may name but not clear: null would mean nothing, so it is refused rather than ignored. */
  private static final List<String> NOT_NULLABLE = List.of("target_url", "secret", "max_in_flight", "status");
  /** Sent by the dashboard, so that what it changes is recorded as its doing and not the API's. */
  static final String ACTOR_HEADER = "x-hookrelay-actor";

  private final Vertx vertx;
  private final HookrelayConfig config;
  private final SubscriptionRepository subscriptions;
  private final DeliveryRepository deliveries;
  private final DeliveryQueue queue;
  private final TargetResolver resolver;
  private final EventTypeCatalogue catalogue;

  SubscriptionRoutes(Vertx vertx, HookrelayConfig config, SubscriptionRepository subscriptions,
      DeliveryRepository deliveries, DeliveryQueue queue, TargetResolver resolver, EventTypeCatalogue catalogue) {
    this.resolver = resolver;
    this.vertx = vertx;
    this.catalogue = catalogue;
    this.config = config;
    this.subscriptions = subscriptions;
    this.deliveries = deliveries;
    this.queue = queue;
  }

  /** Mounts the routes under {@code prefix}: "" (the caller's scope) or "/tenants/:tenant" (one tenant). */
  void mount(Router router, String prefix) {
    String base = prefix + "/subscriptions";
    router.post(base).handler(this::create);
    router.get(base).handler(this::list);
    router.get(base + "/:id").handler(this::get);
    router.patch(base + "/:id").handler(this::patch);
    router.delete(base + "/:id").handler(this::delete);
    router.post(base + "/:id/rotate-secret").handler(this::rotateSecret);
    router.post(base + "/:id/enable").handler(this::enable);
    router.post(base + "/:id/recover").handler(this::recover);
    router.get(base + "/:id/attempts").handler(this::attempts);
  }

  private void create(RoutingContext ctx) {
    JsonObject body = Json.object(ctx);
    Json.onlyFields(body, CREATE_FIELDS, READ_ONLY_FIELDS);
    String targetUrl = targetUrl(body, true);
    String scheme = body.getValue("signature_scheme") == null ? Subscription.SCHEME_V1 : signatureScheme(body);
    String secret = secret(body);
    if (secret != null && Subscription.SCHEME_V1A.equals(scheme)) {
      throw ApiError.unprocessable(V1A_TAKES_NO_SECRET);
    }
    List<String> events = events(body);
    String description = description(body);
    Integer rateLimit = rateLimit(body);
    Integer maxInFlight = maxInFlight(body);
    ClientCertificate clientCertificate = clientCertificate(body);
    String ordering = oneOf(body, "ordering", Subscription.ORDERINGS);
    String onFailure = oneOf(body, "ordering_on_failure", Subscription.ON_FAILURES);
    SubscriptionPolicy policy = PolicyFields.forCreate(body, config);
    UUID id = Ids.newId();
    Signer.KeyPair pair = Subscription.SCHEME_V1A.equals(scheme) ? Signer.generateKeyPair() : null;
    String actualSecret = pair != null ? pair.privateKey() : secret != null ? secret : Signer.generateSecret();
    Scope scope = Access.scope(ctx);
    knownTypes(events)
        .compose(v -> resolvedTarget(targetUrl))
        .compose(v -> subscriptions.create(scope, id, targetUrl, scheme, actualSecret,
            pair == null ? null : pair.publicKey(), events, description, rateLimit,
            maxInFlight != null ? maxInFlight : config.maxInFlight(), clientCertificate,
            ordering != null ? ordering : Subscription.ORDERING_NONE,
            onFailure != null ? onFailure : Subscription.ON_FAILURE_SKIP, policy))
        .onSuccess(s -> {
          SubscriptionCache.publishChange(vertx, id);
          String where = Access.tenant(ctx) == null ? "" : "/tenants/" + Access.tenant(ctx).id();
          ctx.response().putHeader("location", where + "/subscriptions/" + id);
          Json.send(ctx, 201, withNewKey(s));
        })
        .onFailure(err -> ctx.fail(err instanceof ApiError ? err
            : err instanceof SubscriptionRepository.LimitReached limit ? ApiError.unprocessable("max_subscriptions: "
                + "the tenant's limit of " + limit.limit() + " subscriptions is reached; delete one or raise the "
                + "tenant's limits.max_subscriptions")
            : err instanceof SubscriptionRepository.TenantGone ? ApiError.notFound("no such tenant")
            : ApiError.store(err)));
  }

  /**
   * Fails with a 422 when the target's host resolves to a refused address (unless private targets are allowed). A
   * name that does not resolve passes: DNS may change, and each delivery checks again before it connects.
   */
  private Future<Void> resolvedTarget(String targetUrl) {
    if (targetUrl == null || config.allowPrivateTargets()) {
      return Future.succeededFuture();
    }
    String host = URI.create(targetUrl).getHost();
    return resolver.checked(host).<Void>mapEmpty().recover(err -> err instanceof TargetRefusedException
        ? Future.failedFuture(ApiError.unprocessable("target_url's host " + host + " resolves to a private, loopback "
            + "or link-local address, which is refused (list its subnet in HOOKRELAY_ALLOWED_TARGET_SUBNETS to allow it)"))
        : Future.succeededFuture());
  }

  /**
   * When the node requires known event types, every entry of a filter but the wildcards ({@code order.*}, {@code *})
   * must be in the catalogue; a 422 names those that are not.
   */
  private Future<Void> knownTypes(List<String> events) {
    if (!config.requireKnownEventTypes() || events == null) {
      return Future.succeededFuture();
    }
    return catalogue.catalogue().compose(known -> {
      List<String> unknown = events.stream().filter(e -> !e.endsWith("*") && !known.containsKey(e)).toList();
      return unknown.isEmpty() ? Future.succeededFuture() : Future.failedFuture(ApiError.unprocessable(
          "events: " + String.join(", ", unknown) + (unknown.size() == 1 ? " is" : " are") + " not in the event-type "
              + "catalogue (/event-types), and this node requires known types (HOOKRELAY_REQUIRE_KNOWN_EVENT_TYPES); "
              + "wildcards such as order.* are not checked"));
    });
  }

  private void list(RoutingContext ctx) {
    int skip = Json.intParam(ctx, "skip", 0, 0, Integer.MAX_VALUE);
    int limit = Json.intParam(ctx, "limit", 100, 1, 1000);
    subscriptions.list(Access.scope(ctx), skip, limit)
        .onSuccess(list -> {
          JsonArray out = new JsonArray();
          list.forEach(s -> out.add(s.toJson()));
          Json.send(ctx, 200, out);
        })
        .onFailure(err -> ctx.fail(ApiError.store(err)));
  }

  private void get(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id", "subscription");
    subscriptions.find(Access.scope(ctx), id)
        .onComplete(ar -> respond(ctx, id, ar.succeeded() ? ar.result() : null, ar.cause()));
  }

  private void patch(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id", "subscription");
    JsonObject body = Json.object(ctx);
    Json.onlyFields(body, PATCH_FIELDS, READ_ONLY_FIELDS);
    for (String field : NOT_NULLABLE) {
      if (body.containsKey(field) && body.getValue(field) == null) {
        throw ApiError.unprocessable(field + " cannot be null: leave it out to keep it as it is");
      }
    }
    String targetUrl = targetUrl(body, false);
    boolean setEvents = body.containsKey("events");
    List<String> events = events(body);
    boolean setDescription = body.containsKey("description");
    String description = description(body);
    boolean setRateLimit = body.containsKey("rate_limit_per_s");
    Integer rateLimit = rateLimit(body);
    Integer maxInFlight = maxInFlight(body);
    String status = body.getValue("status") == null ? null : string(body, "status", 16);
    if (status != null && !status.equals(Subscription.ENABLED) && !status.equals(Subscription.DISABLED)) {
      throw ApiError.unprocessable("status must be 'enabled' or 'disabled'");
    }
    String secret = secret(body);
    String scheme = body.getValue("signature_scheme") == null ? null : signatureScheme(body);
    if (secret != null && Subscription.SCHEME_V1A.equals(scheme)) {
      throw ApiError.unprocessable(V1A_TAKES_NO_SECRET);
    }
    // keys of both schemes are made up front; the statement picks the one the row's (new) scheme needs
    SubscriptionRepository.NewKeys keys = secret != null || scheme != null ? newKeys(secret) : null;
    boolean setClientCertificate = body.containsKey("client_certificate");
    ClientCertificate clientCertificate = clientCertificate(body);
    var patch = new SubscriptionRepository.Patch(targetUrl, setEvents, events, setDescription, description,
        setRateLimit, rateLimit, maxInFlight, Subscription.ENABLED.equals(status) ? null : status, secret, scheme, keys,
        setClientCertificate, clientCertificate, oneOf(body, "ordering", Subscription.ORDERINGS),
        oneOf(body, "ordering_on_failure", Subscription.ON_FAILURES), PolicyFields.forPatch(body, config));
    OffsetDateTime overlapUntil = Times.now().plus(config.secretOverlap());
    Scope scope = Access.scope(ctx);
    String actor = actor(ctx);
    knownTypes(events)
        .compose(v -> resolvedTarget(targetUrl))
        .compose(v -> subscriptions.update(scope, id, patch, overlapUntil, actor).recover(PolicyFields::headersOverLimit))
        .compose(updated -> updated == null && secret != null ? refusedSecret(scope, id)
            : Future.succeededFuture(updated))
        .compose(updated -> updated != null && Subscription.ENABLED.equals(status) && !updated.enabled()
            ? subscriptions.enable(scope, id, actor)
                .compose(r -> enqueue(r.resumedDeliveries(), id).map(r.subscription()))
                .onSuccess(s -> enabled(id, actor))
            : Future.succeededFuture(updated))
        .onComplete(ar -> {
          Subscription s = ar.succeeded() ? ar.result() : null;
          if (s != null) {
            SubscriptionCache.publishChange(vertx, id);
          }
          // a change of scheme to v1 made a secret the caller has not seen: show it this once, as create does
          if (s != null && keys != null && secret == null && s.secret().equals(keys.v1Secret())) {
            Json.send(ctx, 200, withNewKey(s));
          } else {
            respond(ctx, id, s, ar.cause());
          }
        });
  }

  /** An optional field that takes one of a few words: null when absent, a 422 naming the words otherwise. */
  private static String oneOf(JsonObject body, String field, List<String> allowed) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String s) || !allowed.contains(s)) {
      throw ApiError.unprocessable(field + " must be one of " + String.join(", ", allowed));
    }
    return s;
  }

  private void delete(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id", "subscription");
    subscriptions.delete(Access.scope(ctx), id, actor(ctx)).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ApiError.store(ar.cause()));
      } else if (!ar.result()) {
        ctx.fail(ApiError.notFound("no subscription with id " + id));
      } else {
        SubscriptionCache.publishChange(vertx, id);
        ctx.response().setStatusCode(204).end();
      }
    });
  }

  private void rotateSecret(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id", "subscription");
    String given = ctx.body() != null && ctx.body().length() > 0 ? secret(Json.object(ctx)) : null;
    OffsetDateTime overlapUntil = Times.now().plus(config.secretOverlap());
    Scope scope = Access.scope(ctx);
    subscriptions.rotateSecret(scope, id, newKeys(given), given != null, overlapUntil)
        .compose(s -> s == null && given != null ? refusedSecret(scope, id) : Future.succeededFuture(s))
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ApiError.store(ar.cause()));
          } else if (ar.result() == null) {
            ctx.fail(ApiError.notFound("no subscription with id " + id));
          } else {
            SubscriptionCache.publishChange(vertx, id);
            Json.send(ctx, 200, withNewKey(ar.result()).put("previous_secret_expires_at", Times.iso(overlapUntil)));
          }
        });
  }

  private void enable(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id", "subscription");
    subscriptions.enable(Access.scope(ctx), id, actor(ctx)).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ApiError.store(ar.cause()));
      } else if (ar.result() == null) {
        ctx.fail(ApiError.notFound("no subscription with id " + id));
      } else {
        SubscriptionCache.publishChange(vertx, id);
        enabled(id, actor(ctx));
        List<UUID> resumed = ar.result().resumedDeliveries();
        enqueue(resumed, id).onComplete(x -> Json.send(ctx, 200,
            ar.result().subscription().toJson().put("resumed_deliveries", resumed.size())));
      }
    });
  }

  /** The operator hears of a subscription enabled again, and by whom. */
  private void enabled(UUID id, String actor) {
    OperationalEvents.emit(vertx, OperationalEvents.SUBSCRIPTION_ENABLED,
        new JsonObject().put("subscription_id", id.toString()).put("actor", actor));
  }

  private void recover(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id", "subscription");
    String sinceText = ctx.queryParams().get("since");
    if (sinceText == null) {
      throw ApiError.badRequest("invalid_parameter", "since is required: an ISO-8601 time such as 2026-01-31T12:00:00Z");
    }
    OffsetDateTime since;
    try {
      since = OffsetDateTime.parse(sinceText);
    } catch (DateTimeParseException e) {
      throw ApiError.badRequest("invalid_parameter", "since must be an ISO-8601 time such as 2026-01-31T12:00:00Z");
    }
    Scope scope = Access.scope(ctx);
    subscriptions.find(scope, id)
        .compose(s -> s == null ? Future.succeededFuture((List<UUID>) null)
            : deliveries.recoverFailed(scope, id, since))
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ApiError.store(ar.cause()));
          } else if (ar.result() == null) {
            ctx.fail(ApiError.notFound("no subscription with id " + id));
          } else {
            enqueue(ar.result(), id).onComplete(x -> Json.send(ctx, 202,
                new JsonObject().put("subscription_id", id.toString()).put("recovered", ar.result().size())));
          }
        });
  }

  private void attempts(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id", "subscription");
    int limit = Json.intParam(ctx, "limit", 20, 1, 1000);
    Scope scope = Access.scope(ctx);
    subscriptions.find(scope, id)
        .compose(s -> s == null ? Future.succeededFuture((JsonArray) null) : deliveries.attemptsOf(scope, id, limit))
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ApiError.store(ar.cause()));
          } else if (ar.result() == null) {
            ctx.fail(ApiError.notFound("no subscription with id " + id));
          } else {
            Json.send(ctx, 200, ar.result());
          }
        });
  }

  /** A fresh key of each scheme: the given (or a generated) v1 secret, and an ed25519 key pair. */
  private static SubscriptionRepository.NewKeys newKeys(String givenSecret) {
    Signer.KeyPair pair = Signer.generateKeyPair();
    return new SubscriptionRepository.NewKeys(givenSecret != null ? givenSecret : Signer.generateSecret(),
        pair.privateKey(), pair.publicKey());
  }

  /**
   * After an update that matched no row although a secret was given: a 422 when the subscription exists (it is v1a,
   * which takes no secret), null (so a 404) when it does not.
   */
  private Future<Subscription> refusedSecret(Scope scope, UUID id) {
    return subscriptions.find(scope, id).compose(found -> found == null
        ? Future.succeededFuture(null)
        : Future.failedFuture(ApiError.unprocessable(V1A_TAKES_NO_SECRET)));
  }

  /**
   * The view right after a key was made: for v1 with the secret, shown only here; for v1a the public_key is all the
   * receiver needs and is in every view, and the private key is never shown.
   */
  private static JsonObject withNewKey(Subscription s) {
    JsonObject view = s.toJson();
    return Subscription.SCHEME_V1.equals(s.signatureScheme()) ? view.put("secret", s.secret()) : view;
  }

  /** Puts deliveries made due again on the queue; recovery catches any that Redis does not take. */
  private Future<Void> enqueue(List<UUID> ids, UUID subscriptionId) {
    return queue.enqueue(ids, Collections.nCopies(ids.size(), subscriptionId)).recover(err -> {
      log.warn("could not queue {} deliveries of subscription {} (recovery queues them later): {}", ids.size(),
          subscriptionId, err.getMessage());
      return Future.succeededFuture();
    });
  }

  private static void respond(RoutingContext ctx, UUID id, Subscription s, Throwable failure) {
    if (failure != null) {
      ctx.fail(ApiError.store(failure));
    } else if (s == null) {
      ctx.fail(ApiError.notFound("no subscription with id " + id));
    } else {
      Json.send(ctx, 200, s.toJson());
    }
  }

  /** Who asked for a change, as the audit log and disabled_reason record it: the dashboard or the API. */
  private static String actor(RoutingContext ctx) {
    return SubscriptionRepository.DASHBOARD.equals(ctx.request().getHeader(ACTOR_HEADER))
        ? SubscriptionRepository.DASHBOARD : SubscriptionRepository.API;
  }

  private String targetUrl(JsonObject body, boolean required) {
    Object value = body.getValue("target_url");
    if (value == null && !required) {
      return null;
    }
    if (!(value instanceof String url)) {
      throw ApiError.unprocessable(value == null ? "target_url is required" : "target_url must be a string");
    }
    String problem = TargetGuard.problemWithUrl(url, config.allowPrivateTargets(),
        config.allowedTargetSubnets());
    if (problem != null) {
      throw ApiError.unprocessable(problem);
    }
    return url;
  }

  private static String secret(JsonObject body) {
    Object value = body.getValue("secret");
    if (value == null) {
      return null;
    }
    if (!(value instanceof String s) || !Signer.isValidSecret(s)) {
      throw ApiError.unprocessable("secret must be 'whsec_' followed by the base64 of 24 to 64 random bytes "
          + "(or a plain string of 8 to 128 printable characters without spaces)");
    }
    return s;
  }

  private static String signatureScheme(JsonObject body) {
    Object value = body.getValue("signature_scheme");
    if (!(value instanceof String scheme) || !Subscription.SIGNATURE_SCHEMES.contains(scheme)) {
      throw ApiError.unprocessable("signature_scheme must be 'v1' (HMAC-SHA256 with a whsec_ secret, the default) "
          + "or 'v1a' (ed25519: hookrelay keeps the private key and returns a whpk_ public_key)");
    }
    return scheme;
  }

  /**
   * The client certificate to present to the target: {"cert": PEM chain, "key": PEM private key}, checked to parse,
   * to belong together and to be unexpired; null when absent or null (which, in a PATCH, removes it).
   */
  private ClientCertificate clientCertificate(JsonObject body) {
    Object value = body.getValue("client_certificate");
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject pair)) {
      throw ApiError.unprocessable("client_certificate must be an object {\"cert\": PEM, \"key\": PEM}, or null to "
          + "remove it");
    }
    for (String field : pair.fieldNames()) {
      if (!field.equals("cert") && !field.equals("key")) {
        throw ApiError.unprocessable("client_certificate." + field + " is not a known field (cert and key are)");
      }
    }
    String cert = pem(pair, "cert");
    String key = pem(pair, "key");
    ClientCertificate parsed;
    try {
      parsed = Pem.clientCertificate(vertx, cert, key);
    } catch (IllegalArgumentException e) {
      throw ApiError.unprocessable("client_certificate." + e.getMessage());
    }
    if (parsed.notAfter().isBefore(Times.now())) {
      throw ApiError.unprocessable("client_certificate.cert expired at " + Times.iso(parsed.notAfter()));
    }
    return parsed;
  }

  private static String pem(JsonObject pair, String field) {
    if (!(pair.getValue(field) instanceof String text) || text.isBlank()) {
      throw ApiError.unprocessable("client_certificate." + field + " is required: a PEM text");
    }
    if (text.length() > 65_536) {
      throw ApiError.unprocessable("client_certificate." + field + " must be at most 65536 characters");
    }
    return text;
  }

  private static List<String> events(JsonObject body) {
    Object value = body.getValue("events");
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonArray array)) {
      throw ApiError.unprocessable("events must be a list of event types, e.g. [\"order.created\", \"invoice.*\"]");
    }
    if (array.size() > MAX_EVENT_FILTERS) {
      throw ApiError.unprocessable("events may list at most " + MAX_EVENT_FILTERS + " event types");
    }
    List<String> out = new ArrayList<>(array.size());
    for (Object item : array) {
      if (!(item instanceof String s) || !EventFilter.isValidFilter(s)) {
        throw ApiError.unprocessable("each entry of events must be 1 to 128 characters of letters, digits, "
            + "'.', '_', ':' or '-', optionally ending in '*'");
      }
      out.add(s);
    }
    // An empty list is no filter at all: every event.
    return out.isEmpty() ? null : out;
  }

  private static String description(JsonObject body) {
    return body.getValue("description") == null ? null : string(body, "description", 1024);
  }

  private static Integer rateLimit(JsonObject body) {
    return optionalInt(body, "rate_limit_per_s", 1, 100_000);
  }

  private static Integer maxInFlight(JsonObject body) {
    return optionalInt(body, "max_in_flight", 1, 10_000);
  }

  private static String string(JsonObject body, String field, int maxLength) {
    Object value = body.getValue(field);
    if (!(value instanceof String s)) {
      throw ApiError.unprocessable(field + " must be a string");
    }
    if (s.length() > maxLength) {
      throw ApiError.unprocessable(field + " must be at most " + maxLength + " characters");
    }
    return Json.storable(field, s, 422);
  }

  private static Integer optionalInt(JsonObject body, String field, int min, int max) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
        && n.doubleValue() >= min && n.doubleValue() <= max) {
      return n.intValue();
    }
    throw ApiError.unprocessable(field + " must be a whole number from " + min + " to " + max);
  }
}
