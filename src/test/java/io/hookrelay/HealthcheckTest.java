package io.hookrelay;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.TestNode;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The healthcheck subcommand a container HEALTHCHECK runs: 0 for a ready node, 1 for anything else. */
class HealthcheckTest {
  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(Map.of("HOOKRELAY_ROLES", "api"));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void aReadyNodeOnTheConfiguredPortIsHealthy() {
    assertThat(Healthcheck.run(new String[0], node.env)).isEqualTo(0);
  }

  @Test
  void aPortWithNothingOnItIsUnhealthy() {
    assertThat(Healthcheck.run(new String[0], Map.of("HOOKRELAY_HTTP_PORT", Integer.toString(TestNode.freePort()))))
        .isEqualTo(1);
  }

  @Test
  void anAnswerOtherThan200IsUnhealthy() {
    assertThat(Healthcheck.run(new String[] {node.baseUrl + "/subscriptions"}, Map.of())).isEqualTo(1); // 401
    assertThat(Healthcheck.run(new String[] {node.baseUrl + "/health"}, Map.of())).isEqualTo(0);
  }
}
