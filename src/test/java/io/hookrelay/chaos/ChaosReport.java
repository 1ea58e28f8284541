package io.hookrelay.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.Set;

/**
 * The verdict of one chaos scenario: how many webhooks were sent, acknowledged with 202, delivered (distinct
 * webhook-ids at the receiver), delivered more than once, and lost (acknowledged but never delivered). Printed, and
 * appended as a table row to {@code target/chaos-report.md}; a scenario that lost anything fails.
 */
public final class ChaosReport {
  static final Path FILE = Path.of("target", "chaos-report.md");
  private static final String HEADER = "| scenario | sent | acknowledged (202) | delivered | duplicates | lost | notes |\n"
      + "|---|---|---|---|---|---|---|\n";

  private static boolean started;

  private ChaosReport() {}

  /**
   * Records the scenario and asserts that nothing acknowledged was lost.
   *
   * @param delivered the distinct webhook-ids the receivers got (may include ones whose 202 never reached the
   *     producer, e.g. when the node died after committing)
   */
  public static void record(String scenario, int sent, Set<String> acknowledged, Set<String> delivered, int duplicates,
      String notes) {
    Set<String> lost = new HashSet<>(acknowledged);
    lost.removeAll(delivered);
    String row = "| " + scenario + " | " + sent + " | " + acknowledged.size() + " | " + delivered.size() + " | "
        + duplicates + " | " + lost.size() + " | " + notes + " |";
    System.out.println("chaos: " + row);
    append(row);
    assertThat(lost).as("%s: acknowledged webhooks never delivered", scenario).isEmpty();
  }

  private static synchronized void append(String row) {
    try {
      Files.createDirectories(FILE.getParent());
      if (!started) {
        started = true; // the file holds the figures of the last run only
        Files.writeString(FILE, "# Chaos report\n\nRun started " + Instant.now().truncatedTo(ChronoUnit.SECONDS)
            + "\n\n" + HEADER, StandardCharsets.UTF_8);
      }
      Files.writeString(FILE, row + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
