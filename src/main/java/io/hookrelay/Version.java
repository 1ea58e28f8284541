package io.hookrelay;

/** The version string sent in User-Agent and shown by /health. */
public final class Version {
  public static final String VERSION = "0.1.0";

  private Version() {}
}
