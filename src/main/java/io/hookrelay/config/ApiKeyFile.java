package io.hookrelay.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The API key of a node started without HOOKRELAY_API_KEYS: generated once, kept in the data dir (readable by its
 * owner only), and reused on every later start.
 */
public final class ApiKeyFile {
  private ApiKeyFile() {}

  /** The key and whether it was generated just now (so that it is announced once). */
  public record Key(String value, Path file, boolean generated) {}

  public static Key ensure(Path dataDir) throws IOException {
    Path file = dataDir.resolve("api-key");
    if (Files.isRegularFile(file)) {
      String key = Files.readString(file, StandardCharsets.UTF_8).trim();
      if (key.length() >= 16) {
        return new Key(key, file, false);
      }
    }
    Files.createDirectories(dataDir);
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    String key = "hr_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    Path tmp = dataDir.resolve("api-key.tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, key + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return new Key(key, file, true);
  }
}
