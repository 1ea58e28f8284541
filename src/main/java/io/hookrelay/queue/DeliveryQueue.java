package io.hookrelay.queue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The Redis side of delivery: a stream of due deliveries read by a consumer group, and a sorted set of retries
 * scored by the time they fall due. Entries carry only ids; PostgreSQL holds everything else, so Redis may lose
 * all of it and be rebuilt.
 */
public final class DeliveryQueue {
  public static final String GROUP = "hookrelay";
  /** Replies a client lets wait at once; a batch larger than this fails whole. */
  private static final int MAX_WAITING = 100_000;
  /** Deliveries added per round trip, well under {@link #MAX_WAITING}. */
  static final int ENQUEUE_CHUNK = MAX_WAITING / 10;
  private static final String MOVE_DUE = script("move_due.lua");
  private static final String ACK = script("ack.lua");
  private static final String DEFER = script("defer.lua");

  private final Redis redis;
  private final String stream;
  private final String retrySet;
  private final String prefix;

  public DeliveryQueue(Redis redis, String keyPrefix) {
    this.redis = redis;
    this.prefix = keyPrefix;
    this.stream = keyPrefix + "deliveries";
    this.retrySet = keyPrefix + "retry";
  }

  public static Redis client(Vertx vertx, String url, int poolSize) {
    return Redis.createClient(vertx, new RedisOptions()
        .setConnectionString(url)
        .setMaxPoolSize(poolSize)
        .setMaxPoolWaiting(MAX_WAITING)
        .setMaxWaitingHandlers(MAX_WAITING)
        // RESP2 keeps stream replies as plain arrays whatever the server version.
        .setPreferredProtocolVersion(io.vertx.redis.client.ProtocolVersion.RESP2));
  }

  /** A job as it sits in the stream: the entry id, the delivery (webhook) id and its subscription. */
  public record Job(String entryId, UUID deliveryId, UUID subscriptionId) {}

  public String stream() {
    return stream;
  }

  public String key(String name) {
    return prefix + name;
  }

  public Redis redis() {
    return redis;
  }

  /**
   * Adds deliveries to the stream, one round trip per {@link #ENQUEUE_CHUNK} of them, one chunk after another: a
   * resumed subscription can hand over hundreds of thousands at once, more than the client lets wait for replies.
   */
  public Future<Void> enqueue(List<UUID> deliveryIds, List<UUID> subscriptionIds) {
    return enqueueFrom(deliveryIds, subscriptionIds, 0);
  }

  private Future<Void> enqueueFrom(List<UUID> deliveryIds, List<UUID> subscriptionIds, int from) {
    if (from >= deliveryIds.size()) {
      return Future.succeededFuture();
    }
    int to = Math.min(deliveryIds.size(), from + ENQUEUE_CHUNK);
    List<Request> requests = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      requests.add(Request.cmd(Command.XADD).arg(stream).arg("*")
          .arg("d").arg(deliveryIds.get(i).toString())
          .arg("s").arg(subscriptionIds.get(i).toString()));
    }
    Future<Void> sent = redis.batch(requests).mapEmpty();
    return to == deliveryIds.size() ? sent : sent.compose(v -> enqueueFrom(deliveryIds, subscriptionIds, to));
  }

  /** Creates the consumer group (and the stream) unless it exists; needed again after Redis lost its data. */
  public Future<Void> ensureGroup() {
    return redis.send(Request.cmd(Command.XGROUP).arg("CREATE").arg(stream).arg(GROUP).arg("0").arg("MKSTREAM"))
        .<Void>mapEmpty()
        .recover(err -> err.getMessage() != null && err.getMessage().startsWith("BUSYGROUP")
            ? Future.succeededFuture()
            : Future.failedFuture(err));
  }

  /** What a move of due retries did: how many moved, and when the earliest one left is due (-1: none left). */
  public record Moved(int count, long nextDueMs) {}

  /** Due retries into the stream, at most {@code max} at a time. */
  public Future<Moved> moveDueRetries(long nowMs, int max) {
    return redis.send(Request.cmd(Command.EVAL).arg(MOVE_DUE).arg(2).arg(retrySet).arg(stream)
            .arg(nowMs).arg(max))
        .map(r -> new Moved(r.get(0).toInteger(), (long) Double.parseDouble(r.get(1).toString())));
  }

  /** Schedules deliveries for a later attempt. Members are {@code deliveryId:subscriptionId}, so one id is held once. */
  public Future<Void> scheduleRetries(List<UUID> deliveryIds, List<UUID> subscriptionIds, List<Long> dueMs) {
    if (deliveryIds.isEmpty()) {
      return Future.succeededFuture();
    }
    Request zadd = Request.cmd(Command.ZADD).arg(retrySet);
    for (int i = 0; i < deliveryIds.size(); i++) {
      zadd.arg(dueMs.get(i)).arg(deliveryIds.get(i) + ":" + subscriptionIds.get(i));
    }
    return redis.send(zadd).mapEmpty();
  }

  /** Acknowledges and deletes finished entries. */
  public Future<Void> ack(List<String> entryIds) {
    if (entryIds.isEmpty()) {
      return Future.succeededFuture();
    }
    Request eval = Request.cmd(Command.EVAL).arg(ACK).arg(1).arg(stream).arg(GROUP);
    entryIds.forEach(eval::arg);
    return redis.send(eval).mapEmpty();
  }

  /** Puts entries back into the retry set with their due times, acknowledging them in the stream, atomically. */
  public Future<Void> defer(List<Job> jobs, List<Long> dueMs) {
    if (jobs.isEmpty()) {
      return Future.succeededFuture();
    }
    Request eval = Request.cmd(Command.EVAL).arg(DEFER).arg(2).arg(stream).arg(retrySet).arg(GROUP);
    for (int i = 0; i < jobs.size(); i++) {
      Job job = jobs.get(i);
      eval.arg(job.entryId()).arg(dueMs.get(i)).arg(job.deliveryId() + ":" + job.subscriptionId());
    }
    return redis.send(eval).mapEmpty();
  }

  /** Entries still in the stream (not yet finished): the backlog that ingest's 429 is measured against. */
  public Future<Long> streamLength() {
    return redis.send(Request.cmd(Command.XLEN).arg(stream)).map(Response::toLong);
  }

  public Future<Long> retryDepth() {
    return redis.send(Request.cmd(Command.ZCARD).arg(retrySet)).map(Response::toLong);
  }

  /** Parses the entries of an XREADGROUP or XAUTOCLAIM answer; entries deleted meanwhile come back empty and are skipped. */
  static List<Job> jobs(Response entries, List<String> emptyEntries) {
    List<Job> jobs = new ArrayList<>();
    if (entries == null) {
      return jobs;
    }
    for (Response entry : entries) {
      String id = entry.get(0).toString();
      Response fields = entry.get(1);
      if (fields == null || fields.size() < 4) {
        emptyEntries.add(id);
        continue;
      }
      UUID delivery = null;
      UUID subscription = null;
      for (int i = 0; i + 1 < fields.size(); i += 2) {
        String name = fields.get(i).toString();
        if ("d".equals(name)) {
          delivery = UUID.fromString(fields.get(i + 1).toString());
        } else if ("s".equals(name)) {
          subscription = UUID.fromString(fields.get(i + 1).toString());
        }
      }
      if (delivery == null || subscription == null) {
        emptyEntries.add(id);
      } else {
        jobs.add(new Job(id, delivery, subscription));
      }
    }
    return jobs;
  }

  private static String script(String name) {
    try (InputStream in = DeliveryQueue.class.getResourceAsStream("/redis/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
