import io.hookrelay.ingest.PayloadSchemas;
import java.nio.file.*;
/** bench/schema-check: microseconds per schema check of a payload, after a warm-up. */
public class SchemaCheckCost {
  public static void main(String[] a) throws Exception {
    String schema = Files.readString(Path.of(a[0]));
    var s = PayloadSchemas.compile(schema);
    for (String file : new String[] {a[1], a[2]}) {
      String json = Files.readString(Path.of(file));
      int n = json.length() > 100_000 ? 30 : 20_000;
      for (int i = 0; i < n / 2; i++) PayloadSchemas.firstViolation(s, json); // warm
      long t = System.nanoTime();
      for (int i = 0; i < n; i++) if (PayloadSchemas.firstViolation(s, json) != null) throw new AssertionError();
      System.out.printf("%s (%d bytes): %.1f µs per check (%d checks)%n", file, json.length(), (System.nanoTime() - t) / 1e3 / n, n);
    }
  }
}
