package io.hookrelay.delivery;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;

/** Keeps the first bytes of a receiver's response for the attempt record and drops the rest unread into memory. */
final class BoundedBody implements WriteStream<Buffer> {
  private final int limit;
  private final Buffer kept = Buffer.buffer();

  BoundedBody(int limit) {
    this.limit = limit;
  }

  String text() {
    return kept.length() == 0 ? null : kept.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Override
  public Future<Void> write(Buffer data) {
    int room = limit - kept.length();
    if (room > 0) {
      kept.appendBuffer(data, 0, Math.min(room, data.length()));
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> end() {
    return Future.succeededFuture();
  }

  @Override
  public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    return this;
  }

  @Override
  public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
    return this;
  }

  @Override
  public boolean writeQueueFull() {
    return false;
  }

  @Override
  public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
    return this;
  }
}
