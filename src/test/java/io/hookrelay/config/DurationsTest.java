package io.hookrelay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
  @Test
  void readsEveryUnit() {
    assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse(" 10s ")).isEqualTo(Duration.ofSeconds(10));
    assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(Durations.parse("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(Durations.parse("1d")).isEqualTo(Duration.ofDays(1));
  }

  @Test
  void refusesWhatIsNotADurationOrIsTooLongToMeanOne() {
    for (String text : new String[] {"", "10", "s", "1.5s", "-1s", "10 s", "1w", "36501d", "66734372228050759m",
        "99999999999999999999ms"}) {
      assertThatThrownBy(() -> Durations.parse(text)).as(text).isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(Durations.parse("36500d")).isEqualTo(Durations.MAX);
  }

  @Test
  void formatsInTheLargestExactUnitAndNeverOverflows() {
    assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
    assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("90s");
    assertThat(Durations.format(Duration.ofMinutes(60))).isEqualTo("1h");
    assertThat(Durations.format(Duration.ofDays(30))).isEqualTo("30d");
    assertThat(Durations.format(Duration.ofMinutes(66734372228050759L))).endsWith("d");
  }
}
