package io.hookrelay.embedded;

import java.io.IOException;

/**
 * A data directory an embedded server cannot use: another live process holds its lock, or an older PostgreSQL
 * made it. The message names the cause and what to do, in one line.
 */
public final class DataDirUnusableException extends IOException {
  DataDirUnusableException(String message) {
    super(message);
  }
}
