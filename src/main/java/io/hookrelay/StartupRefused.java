package io.hookrelay;

/**
 * A start that cannot go on for a reason the operator can fix in one step (a port taken, a data directory in use,
 * a platform without embedded binaries); its message is the one line printed, without a stack trace, before exit 2.
 */
public final class StartupRefused extends RuntimeException {
  public StartupRefused(String message) {
    super(message);
  }
}
