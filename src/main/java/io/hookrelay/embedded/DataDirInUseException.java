package io.hookrelay.embedded;

import java.io.IOException;

/** Another live process holds the data directory's lock; the message names it and what to do, in one line. */
public final class DataDirInUseException extends IOException {
  DataDirInUseException(String message) {
    super(message);
  }
}
