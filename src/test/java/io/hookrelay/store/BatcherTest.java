package io.hookrelay.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.Await;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The group commit under every batched write: what gathers while a write is on its way goes in the next one. */
class BatcherTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private Vertx vertx;
  private Context context;
  /** Each write the batcher made, in order, with the promise that answers it. */
  private final List<List<String>> writes = new CopyOnWriteArrayList<>();
  private final List<Promise<List<String>>> answers = new CopyOnWriteArrayList<>();
  private Batcher<String, String> batcher;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private void newBatcher(int maxSize, int maxWrites) {
    newBatcher(maxSize, 1, maxWrites);
  }

  private void newBatcher(int maxSize, long delayMs, int maxWrites) {
    batcher = Await.onContext(context, () -> Future.succeededFuture(new Batcher<String, String>(vertx, maxSize, delayMs,
        maxWrites, batch -> {
          writes.add(List.copyOf(batch));
          Promise<List<String>> answer = Promise.promise();
          answers.add(answer);
          return answer.future();
        })));
  }

  private List<Future<String>> add(String... items) {
    return Await.onContext(context, () -> {
      List<Future<String>> out = new ArrayList<>();
      for (String item : items) {
        out.add(batcher.add(item));
      }
      return Future.succeededFuture(out);
    });
  }

  /** Adds the first items and waits until they are on their way as the first write. */
  private List<Future<String>> firstWrite(String... items) {
    List<Future<String>> added = add(items);
    Await.until(WAIT, "the first write", () -> writes.size() == 1);
    return added;
  }

  /** Answers write {@code n} with each item's result: the item upper-cased. */
  private void answer(int n) {
    context.runOnContext(v -> answers.get(n).complete(writes.get(n).stream().map(String::toUpperCase).toList()));
  }

  @Test
  void itemsArrivingWhileAWriteIsUnderWayGoTogetherAsSoonAsItIsAnswered() {
    newBatcher(100, 1);
    List<Future<String>> first = firstWrite("a");
    List<Future<String>> meanwhile = add("b", "c", "d");
    assertThat(writes).as("no second write while the first is under way").hasSize(1);
    answer(0);
    Await.until(WAIT, "the second write", () -> writes.size() == 2);
    assertThat(writes.get(1)).containsExactly("b", "c", "d");
    assertThat(first.get(0).result()).isEqualTo("A");
    answer(1);
    Await.until(WAIT, "every item answered", () -> meanwhile.stream().allMatch(Future::isComplete));
    assertThat(meanwhile).extracting(Future::result).containsExactly("B", "C", "D");
    Await.until(WAIT, "the batcher idle", () -> Await.onContext(context, () -> Future.succeededFuture(batcher.idle())));
  }

  /** At a trickle the delay gathers nothing: the first item after a quiet spell goes on the loop's next turn. */
  @Test
  void anItemAfterAQuietSpellDoesNotWaitForTheDelay() {
    newBatcher(100, 3_600_000, 1);
    List<Future<String>> first = add("a", "b");
    Await.until(WAIT, "a write well before the hour's delay", () -> writes.size() == 1);
    assertThat(writes.get(0)).as("what was added in the same turn still goes together").containsExactly("a", "b");
    answer(0);
    Await.until(WAIT, "both answered", () -> first.stream().allMatch(Future::isComplete));
  }

  @Test
  void aFullBatchGoesAtOnceEvenWhileAWriteIsUnderWay() {
    newBatcher(3, 1);
    List<Future<String>> first = firstWrite("a");
    add("b", "c", "d", "e");
    assertThat(writes).hasSize(2);
    assertThat(writes.get(1)).containsExactly("b", "c", "d");
    answer(0);
    Await.until(WAIT, "the first write's items answered", () -> first.get(0).isComplete());
    assertThat(writes).as("still a write under way: the rest waits for it").hasSize(2);
    answer(1);
    Await.until(WAIT, "the rest once no write is under way", () -> writes.size() == 3);
    assertThat(writes.get(2)).containsExactly("e");
  }

  @Test
  void withTwoWritesAllowedTheSecondDoesNotWaitForTheFirst() {
    newBatcher(100, 2);
    firstWrite("a");
    add("b");
    Await.until(WAIT, "a second write beside the first", () -> writes.size() == 2);
    add("c");
    assertThat(writes).hasSize(2);
    answer(1);
    Await.until(WAIT, "the third once one ended", () -> writes.size() == 3);
    assertThat(writes.get(2)).containsExactly("c");
  }

  @Test
  void aFailedWriteFailsEachOfItsItemsAndTheNextBatchStillGoes() {
    newBatcher(100, 1);
    List<Future<String>> failing = firstWrite("a", "b");
    List<Future<String>> next = add("c");
    context.runOnContext(v -> answers.get(0).fail(new IllegalStateException("database gone")));
    Await.until(WAIT, "the failure answered", () -> failing.stream().allMatch(Future::isComplete));
    assertThat(failing).allMatch(Future::failed);
    assertThat(failing.get(1).cause()).hasMessage("database gone");
    Await.until(WAIT, "the next write", () -> writes.size() == 2);
    answer(1);
    Await.until(WAIT, "the next item answered", () -> next.get(0).isComplete());
    assertThat(next.get(0).result()).isEqualTo("C");
  }

  @Test
  void flushWritesWhatIsGatheredWithoutWaiting() {
    newBatcher(100, 1);
    firstWrite("a");
    add("b");
    Await.onContext(context, () -> {
      batcher.flush();
      return Future.succeededFuture();
    });
    assertThat(writes).hasSize(2);
    assertThat(writes.get(1)).containsExactly("b");
  }
}
