package io.hookrelay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every API key written literally in a shell snippet of the docs is one a node accepts: a reader who copies
 * {@code HOOKRELAY_API_KEYS=…} from a walkthrough must not get exit 2 instead of a node.
 */
class DocumentedKeysTest {
  /** A key given to the node or to a client: HOOKRELAY_API_KEYS=, API_KEY= (k6), KEY= (the README's variable). */
  private static final Pattern KEY = Pattern.compile("\\b(?:HOOKRELAY_API_KEYS|API_KEY|KEY)=([^\\s$\"'`(]+)");

  private static List<Path> docs() throws IOException {
    List<Path> out = new ArrayList<>(List.of(Path.of("README.md"), Path.of("k6", "README.md")));
    try (Stream<Path> more = Files.list(Path.of("docs"))) {
      more.filter(p -> p.toString().endsWith(".md")).sorted().forEach(out::add);
    }
    return out;
  }

  /** The literal keys in the fenced code blocks of one Markdown file. */
  static List<String> literalKeys(String markdown) {
    List<String> keys = new ArrayList<>();
    boolean inCode = false;
    for (String line : markdown.split("\n")) {
      if (line.trim().startsWith("```")) {
        inCode = !inCode;
      } else if (inCode) {
        Matcher m = KEY.matcher(line);
        while (m.find()) {
          keys.add(m.group(1));
        }
      }
    }
    return keys;
  }

  @Test
  void findsTheKeysOfASnippet() {
    assertThat(literalKeys("text KEY=not-code\n```sh\nHOOKRELAY_API_KEYS=dev-key java -jar x &\n"
        + "k6 run -e API_KEY=$KEY s.js\nexport KEY=$(cat data/api-key)\n```\n")).containsExactly("dev-key");
  }

  @Test
  void everyLiteralKeyInTheDocsIsAcceptedByTheNode() throws IOException {
    List<String> found = new ArrayList<>();
    for (Path doc : docs()) {
      for (String key : literalKeys(Files.readString(doc, StandardCharsets.UTF_8))) {
        found.add(key);
        assertThatCode(() -> ConfigLoader.load(Map.of("HOOKRELAY_API_KEYS", key)))
            .as("the key %s in %s", key, doc).doesNotThrowAnyException();
      }
    }
    // k6/README.md starts a node with a key of its own: the check above has something to check.
    assertThat(found).as("keys found in the docs").isNotEmpty();
  }
}
