package io.hookrelay.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.Chromium;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Alert;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard driven in headless Chromium against a real node: the key is asked for once, a subscription is
 * created from the page, a webhook sent through the API moves the live numbers, the delivery search shows its
 * attempt, and the retry button makes a second one. Leaves target/screenshots/dashboard.png behind.
 */
class DashboardBrowserTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static TestNode node;
  private static TestReceiver receiver;
  private static Chromium chromium;
  private static WebDriver browser;
  private static WebDriverWait wait;

  @BeforeAll
  static void start() throws Exception {
    Chromium.assumeInstalled();
    node = TestNode.start();
    receiver = TestReceiver.answering(200);
    chromium = Chromium.start(new Dimension(1440, 1500));
    browser = chromium.driver;
    wait = new WebDriverWait(browser, WAIT);
    wait.ignoring(StaleElementReferenceException.class); // lists redraw when their data change
    browser.get(node.baseUrl + "/ui/");
    WebElement key = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("key-input")));
    key.sendKeys(TestNode.API_KEY);
    browser.findElement(By.id("key-submit")).click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("app")));
    wait.until(ExpectedConditions.attributeContains(By.id("live"), "class", "on"));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (chromium != null) {
        chromium.screenshot("dashboard.png");
        chromium.close();
      }
    } finally {
      if (receiver != null) {
        receiver.close();
      }
      if (node != null) {
        node.close();
      }
    }
  }

  private static String text(String id) {
    return browser.findElement(By.id(id)).getText();
  }

  private static long number(String id) {
    String t = text(id).replace(",", "");
    return t.matches("\\d+") ? Long.parseLong(t) : -1;
  }

  /** Clicks a button of a list row, finding both again if the list redrew in between. */
  private static void clickIn(By row, String button) {
    wait.until(d -> {
      d.findElement(row).findElement(By.cssSelector(button)).click();
      return true;
    });
  }

  /** Reloads the page and waits until the subscription's row is listed. */
  private static By listedRow(String subscriptionId) {
    browser.navigate().refresh();
    By row = By.cssSelector("#subs-body tr[data-id='" + subscriptionId + "']");
    wait.until(ExpectedConditions.presenceOfElementLocated(row));
    return row;
  }

  @Test
  void theKeyIsAskedForOnceAndKeptForTheTab() {
    browser.navigate().refresh();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("app")));
    assertThat(browser.findElement(By.id("key-form")).isDisplayed()).isFalse();
    wait.until(ExpectedConditions.attributeContains(By.id("live"), "class", "on"));
  }

  @Test
  void creatingASubscriptionShowsItsSecretOnceAndListsIt() {
    browser.findElement(By.id("sub-url")).sendKeys(receiver.url());
    browser.findElement(By.id("sub-events")).sendKeys("order.*");
    browser.findElement(By.id("sub-description")).sendKeys("orders to the test receiver");
    browser.findElement(By.id("sub-save")).click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("secret-banner")));
    assertThat(text("secret-value")).startsWith("whsec_");
    String id = text("secret-sub");
    WebElement row = wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#subs-body tr[data-id='" + id + "']")));
    assertThat(row.getText()).contains(receiver.url(), "order.*", "enabled");
    assertThat(node.get("/subscriptions/" + id).json().getString("description")).isEqualTo("orders to the test receiver");
    browser.findElement(By.id("secret-dismiss")).click();
    assertThat(browser.findElement(By.id("secret-banner")).isDisplayed()).isFalse();
  }

  @Test
  void aDeliveredWebhookMovesTheLiveCountersAndRates() {
    String subscription = node.subscribe(receiver.url(), null).getString("id");
    wait.until(d -> number("stat-ingested") >= 0);
    long delivered = number("stat-delivered");
    String webhook = node.ingest(subscription, new JsonObject().put("order_id", 1));
    node.awaitStatus(webhook, WAIT, "succeeded");
    wait.until(d -> number("stat-delivered") > delivered);
    wait.until(d -> Double.parseDouble(text("rate-delivered")) > 0);
    wait.until(d -> browser.findElements(By.cssSelector("#recent-body tr[data-id='" + webhook + "']")).size() == 1);
  }

  @Test
  void theDeliverySearchShowsTheAttemptAndRetryMakesASecondOne() {
    String subscription = node.subscribe(receiver.url(), null).getString("id");
    String webhook = node.ingest(subscription, new JsonObject().put("order_id", 2));
    node.awaitStatus(webhook, WAIT, "succeeded");

    WebElement search = browser.findElement(By.id("search-id"));
    search.clear();
    search.sendKeys(webhook);
    browser.findElement(By.id("search-go")).click();
    wait.until(ExpectedConditions.textToBe(By.id("delivery-id"), webhook));
    assertThat(text("delivery-status")).isEqualTo("succeeded");
    List<WebElement> attempts = browser.findElements(By.cssSelector("#attempts-body tr.attempt"));
    assertThat(attempts).hasSize(1);
    assertThat(attempts.get(0).getText()).contains("Success", "200", "answer");

    browser.findElement(By.id("retry")).click();
    wait.until(d -> d.findElements(By.cssSelector("#attempts-body tr.attempt")).size() == 2);
    assertThat(browser.findElements(By.cssSelector("#attempts-body tr.attempt")).get(0).getText())
        .startsWith("2").contains("Success", "200");
    assertThat(node.status(webhook).getInteger("total_attempts")).isEqualTo(2);
  }

  @Test
  void aSubscriptionCanBeDisabledEnabledEditedAndItsSecretRotated() {
    String id = node.subscribe(receiver.url(), null).getString("id");
    By row = listedRow(id);

    clickIn(row, ".act-toggle");
    wait.until(d -> d.findElement(row).getText().contains("disabled from the dashboard"));
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "Subscription disabled"));
    assertThat(node.get("/subscriptions/" + id).json().getString("status")).isEqualTo("disabled");
    clickIn(row, ".act-toggle");
    wait.until(d -> d.findElement(row).getText().contains("enabled"));
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "Subscription enabled"));

    clickIn(row, ".act-edit");
    WebElement description = browser.findElement(By.id("sub-description"));
    description.clear();
    description.sendKeys("edited in the dashboard");
    browser.findElement(By.id("sub-save")).click();
    wait.until(d -> d.findElement(row).getText().contains("edited in the dashboard"));

    clickIn(row, ".act-rotate");
    wait.until(ExpectedConditions.textToBe(By.id("secret-sub"), id));
    assertThat(text("secret-value")).startsWith("whsec_");
    browser.findElement(By.id("secret-dismiss")).click();
  }

  @Test
  void aSubscriptionIsDeletedOnlyAfterTheConfirmation() {
    String id = node.subscribe(receiver.url(), null).getString("id");
    By row = listedRow(id);

    clickIn(row, ".act-delete");
    wait.until(ExpectedConditions.alertIsPresent()).dismiss();
    assertThat(node.get("/subscriptions/" + id).status()).isEqualTo(200);

    clickIn(row, ".act-delete");
    Alert confirm = wait.until(ExpectedConditions.alertIsPresent());
    assertThat(confirm.getText()).contains("Delete the subscription to " + receiver.url());
    confirm.accept();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "Subscription deleted"));
    wait.until(ExpectedConditions.numberOfElementsToBe(row, 0));
    assertThat(node.get("/subscriptions/" + id).status()).isEqualTo(404);
    assertThat(node.count("SELECT count(*) FROM audit_log WHERE subscription_id = '" + id
        + "' AND action = 'subscription_deleted' AND details->>'actor' = 'dashboard'")).isEqualTo(1);
  }

  @Test
  void theTenantFilterListsOnlyTheChosenTenantsSubscriptions() {
    TestNode.Response tenant = node.post("/tenants", new io.vertx.core.json.JsonObject().put("uid", "ui-filter")
        .put("name", "Filtered"));
    String tenantId = tenant.json().getString("id");
    String inTenant = node.post("/tenants/" + tenantId + "/subscriptions", new io.vertx.core.json.JsonObject()
        .put("target_url", receiver.url() + "/tenant")).json().getString("id");
    String inDefault = node.subscribe(receiver.url() + "/default", null).getString("id");
    listedRow(inDefault);
    By option = By.cssSelector("#tenant-filter option[value='" + tenantId + "']");
    wait.until(ExpectedConditions.presenceOfElementLocated(option));
    new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("tenant-filter"))).selectByValue(tenantId);
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#subs-body tr[data-id='" + inTenant + "']")));
    wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#subs-body tr[data-id='" + inDefault + "']"), 0));
    assertThat(browser.findElements(By.cssSelector("#subs-body tr[data-id]"))).hasSize(1);

    // Open portal: a new tab with a fresh link for the chosen tenant, signed in as that tenant's customer
    String dashboard = browser.getWindowHandle();
    java.util.Set<String> before = browser.getWindowHandles();
    browser.findElement(By.id("open-portal")).click();
    wait.until(d -> d.getWindowHandles().size() > before.size());
    String portal = browser.getWindowHandles().stream().filter(h -> !before.contains(h)).findFirst().orElseThrow();
    browser.switchTo().window(portal);
    try {
      wait.until(d -> d.getCurrentUrl().contains("/portal"));
      wait.until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("body"), receiver.url() + "/tenant"));
      assertThat(browser.getCurrentUrl()).doesNotContain("token=");
      assertThat(browser.findElement(By.tagName("body")).getText()).doesNotContain(receiver.url() + "/default");
    } finally {
      browser.close();
      browser.switchTo().window(dashboard);
    }
    new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("tenant-filter"))).selectByValue("");
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#subs-body tr[data-id='" + inDefault + "']")));
  }

  @Test
  void theApiDocsLoadTheDocumentWithTheKeyAndListEveryOperation() {
    String dashboard = browser.getWindowHandle();
    browser.switchTo().newWindow(WindowType.TAB);
    try {
      browser.get(node.baseUrl + "/docs/");
      // A new tab may or may not inherit the dashboard's sessionStorage: answer the prompt if it comes.
      wait.until(d -> !d.findElements(By.cssSelector(".opblock")).isEmpty()
          || d.findElement(By.id("key-input")).isDisplayed());
      if (browser.findElement(By.id("key-input")).isDisplayed()) {
        browser.findElement(By.id("key-input")).sendKeys(TestNode.API_KEY);
        browser.findElement(By.cssSelector("#key-form button")).click();
      }
      wait.until(d -> d.findElements(By.cssSelector(".opblock")).size() >= 20);
      // Authorised with the key: the Authorize button and every operation's padlock show locked.
      wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".btn.authorize.locked")));
      assertThat(browser.findElements(By.cssSelector(".opblock [aria-label='authorization button unlocked']")))
          .isEmpty();
      assertThat(browser.findElements(By.cssSelector(".opblock [aria-label='authorization button locked']")))
          .isNotEmpty();
      assertThat(browser.findElement(By.id("swagger-ui")).getText())
          .contains("/subscriptions/{id}/rotate-secret", "/deliveries", "/stats/stream", "/ingest/{id}");
    } finally {
      browser.close();
      browser.switchTo().window(dashboard);
    }
  }
}
