package io.hookrelay.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.Chromium;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Alert;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The consumer portal driven in headless Chromium against a real node: an admin creates tenants A and B, B gets a
 * subscription and a delivered webhook, and a portal link for A is opened. From the page, A's customer adds an
 * endpoint pointing at a real receiver, sends it a test event, sees the attempt's status code and retries it; B's
 * endpoint and webhook are neither listed nor found when their ids are typed in; a spent or expired link shows the
 * error; the page works framed by another site that frame-ancestors allows. Leaves target/screenshots/portal.png
 * behind.
 */
class PortalBrowserTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  /** The platform's branding, as it would add it to the links it hands out. */
  private static final String BRANDING = "?name=Acme%20Payments&color=%23b45309";

  private static TestNode node;
  private static TestReceiver receiver;
  private static Chromium chromium;
  private static WebDriver browser;
  private static WebDriverWait wait;
  private static JsonObject tenantA;
  private static String subscriptionOfB;
  private static String webhookOfB;

  @BeforeAll
  static void start() throws Exception {
    Chromium.assumeInstalled();
    // The platform's own pages (another site: localhost, not 127.0.0.1) may frame the portal.
    node = TestNode.start(Map.of("HOOKRELAY_PORTAL_FRAME_ANCESTORS", "http://localhost:*"));
    receiver = TestReceiver.answering(200);
    tenantA = node.post("/tenants", new JsonObject().put("uid", "portal-a").put("name", "Alpha Shop")
        .put("metadata", new JsonObject().put("portal_name", "Alpha's platform").put("portal_color", "#0f766e")))
        .json();
    node.post("/tenants", new JsonObject().put("uid", "portal-b").put("name", "Bravo Shop"));
    subscriptionOfB = node.post("/tenants/portal-b/subscriptions", new JsonObject()
        .put("target_url", receiver.url() + "/bravo").put("description", "bravo's endpoint")).json().getString("id");
    webhookOfB = node.ingest(subscriptionOfB, new JsonObject().put("bravo", true));
    node.awaitStatus(webhookOfB, WAIT, "succeeded");

    chromium = Chromium.start(new Dimension(1440, 1200));
    browser = chromium.driver;
    wait = new WebDriverWait(browser, WAIT);
    wait.ignoring(StaleElementReferenceException.class); // lists redraw when their data change
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (chromium != null) {
        screenshot();
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

  /** The portal as A's customer sees it: an endpoint listed, a webhook with its attempts shown. */
  private static void screenshot() throws Exception {
    openPortal(BRANDING);
    String endpoint = node.post("/tenants/portal-a/subscriptions", new JsonObject()
        .put("target_url", receiver.url() + "/orders").put("events", List.of("order.*"))
        .put("description", "order events")).json().getString("id");
    String webhook = node.post("/ingest/" + endpoint, new JsonObject().put("order_id", 7),
        Map.of("X-Event-Type", "order.created")).json().getString("webhook_id");
    node.awaitStatus(webhook, WAIT, "succeeded");
    browser.navigate().refresh();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("app")));
    ((JavascriptExecutor) browser).executeScript("location.hash = 'endpoint=" + endpoint + "&webhook=" + webhook + "'");
    wait.until(ExpectedConditions.textToBe(By.id("delivery-id"), webhook));
    wait.until(d -> d.findElements(By.cssSelector("#endpoint-attempts tr.attempt")).size() == 1);
    wait.until(d -> !d.findElements(By.cssSelector("#recent-body tr[data-id='" + webhook + "']")).isEmpty());
    chromium.screenshot("portal.png");
  }

  /** A fresh portal link for tenant A, as the platform's back end gets it. */
  private static String portalLink() {
    TestNode.Response link = node.post("/tenants/portal-a/portal-link", new JsonObject());
    assertThat(link.status()).as(link.body()).isEqualTo(201);
    return link.json().getString("url");
  }

  /** Opens a new link for A (with {@code query} before the fragment) and waits for the portal to show. */
  private static String openPortal(String query) {
    String link = portalLink();
    String url = link.replace("/portal#", "/portal" + query + "#");
    browser.get("about:blank"); // a load of its own: from the portal itself, only the fragment would change
    browser.get(url);
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("app")));
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#subs-body tr")));
    return link;
  }

  private static String text(String id) {
    return browser.findElement(By.id(id)).getText();
  }

  /** Clicks a button of a list row, finding both again if the list redrew in between. */
  private static void clickIn(By row, String button) {
    wait.until(d -> {
      d.findElement(row).findElement(By.cssSelector(button)).click();
      return true;
    });
  }

  private static void message(String expected) {
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), expected));
  }

  private static By row(String subscriptionId) {
    return By.cssSelector("#subs-body tr[data-id='" + subscriptionId + "']");
  }

  @Test
  void theLinksTokenIsSpentAndTakenOutOfTheAddressBar() {
    openPortal(BRANDING);
    assertThat(browser.getCurrentUrl()).doesNotContain("token").endsWith("/portal/" + BRANDING);
    assertThat(text("tenant-name")).isEqualTo("Alpha Shop");
    Object kept = ((JavascriptExecutor) browser).executeScript("return sessionStorage.getItem('hookrelay.portal')");
    assertThat(kept.toString()).contains("hrs_").doesNotContain("hrp_");
  }

  @Test
  void anEndpointCreatedInThePortalGetsATestEventWhoseAttemptShowsItsStatusCodeAndCanBeRetried() {
    openPortal(BRANDING);
    String target = receiver.url() + "/alpha";
    browser.findElement(By.id("sub-url")).sendKeys(target);
    browser.findElement(By.id("sub-events")).sendKeys("invoice.paid, order.*");
    browser.findElement(By.id("sub-description")).sendKeys("alpha's invoices");
    browser.findElement(By.id("sub-save")).click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("secret-banner")));
    assertThat(text("secret-value")).startsWith("whsec_");
    assertThat(browser.findElement(By.id("secret-copy")).isDisplayed()).isTrue();
    String id = text("secret-sub");
    assertThat(node.get("/subscriptions/" + id).json().getString("tenant_id")).isEqualTo(tenantA.getString("id"));
    wait.until(d -> d.findElement(row(id)).getText().contains("invoice.paid, order.*"));
    browser.findElement(By.id("secret-dismiss")).click();

    int before = receiver.count();
    clickIn(row(id), ".act-test");
    message("Test event invoice.paid sent");
    wait.until(d -> text("delivery-status").equals("succeeded"));
    wait.until(d -> d.findElements(By.cssSelector("#attempts-body tr.attempt")).size() == 1);
    assertThat(browser.findElement(By.cssSelector("#attempts-body tr.attempt")).getText()).contains("Success", "200");
    assertThat(text("delivery-type")).isEqualTo("invoice.paid");
    String webhook = text("delivery-id");
    receiver.awaitCount(before + 1, WAIT);
    TestReceiver.Received got = receiver.received().get(before);
    assertThat(got.path()).endsWith("/alpha");
    assertThat(got.bodyText()).contains("\"test\":true");

    browser.findElement(By.id("retry")).click();
    message("Retry queued");
    wait.until(d -> d.findElements(By.cssSelector("#attempts-body tr.attempt")).size() == 2);
    assertThat(browser.findElements(By.cssSelector("#attempts-body tr.attempt")).get(0).getText())
        .startsWith("2").contains("Success", "200");
    assertThat(node.status(webhook).getInteger("total_attempts")).isEqualTo(2);

    // The endpoint's own page lists both attempts, each with its code.
    browser.findElement(By.cssSelector("#subs-body tr[data-id='" + id + "'] a.target")).click();
    wait.until(ExpectedConditions.textToBe(By.id("endpoint-id"), id));
    wait.until(d -> d.findElements(By.cssSelector("#endpoint-attempts tr.attempt")).size() == 2);
    assertThat(text("endpoint-attempts")).contains("200");
    wait.until(d -> !d.findElements(By.cssSelector("#types li[data-type='invoice.paid']")).isEmpty());
  }

  @Test
  void aTestToAnEndpointSendsTheExampleOfACataloguedTypeItsFilterTakes() {
    TestNode.Response type = node.post("/event-types", new JsonObject().put("name", "refund.issued")
        .put("description", "A refund was issued").put("example", new JsonObject().put("refund_id", "rf_example_1")));
    assertThat(type.status()).as(type.body()).isEqualTo(201);
    String id = node.post("/tenants/portal-a/subscriptions", new JsonObject()
        .put("target_url", receiver.url() + "/refunds").put("events", List.of("refund.*")).put("max_attempts", 3)
        .put("headers", new JsonObject().put("Authorization", "Bearer gateway-secret-0123456789"))).json().getString("id");
    openPortal("");
    wait.until(ExpectedConditions.presenceOfElementLocated(row(id)));
    // the platform's catalogue is listed, and the endpoint's own policy shows, its header value masked
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("catalogue-body"), "refund.issued"));
    assertThat(browser.findElement(By.id("catalogue-body")).getText()).contains("A refund was issued");
    browser.get(browser.getCurrentUrl().replaceAll("#.*$", "") + "#endpoint=" + id);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("endpoint-policy"), "at most 3 attempts"));
    assertThat(text("endpoint-headers")).startsWith("authorization: ").doesNotContain("gateway-secret");

    int before = receiver.count();
    clickIn(row(id), ".act-test");
    message("Example of refund.issued sent");
    wait.until(d -> text("delivery-status").equals("succeeded"));
    assertThat(text("delivery-type")).isEqualTo("refund.issued");
    receiver.awaitCount(before + 1, WAIT);
    TestReceiver.Received got = receiver.received().get(before);
    assertThat(got.path()).endsWith("/refunds");
    assertThat(got.bodyText()).contains("rf_example_1");
  }

  @Test
  void anEndpointCanBeEditedDisabledEnabledRotatedAndDeletedAfterTheConfirmation() {
    String id = node.post("/tenants/portal-a/subscriptions", new JsonObject().put("target_url", receiver.url()))
        .json().getString("id");
    openPortal("");
    wait.until(ExpectedConditions.presenceOfElementLocated(row(id)));

    clickIn(row(id), ".act-edit");
    WebElement events = browser.findElement(By.id("sub-events"));
    events.sendKeys("refund.*");
    WebElement description = browser.findElement(By.id("sub-description"));
    description.sendKeys("edited in the portal");
    browser.findElement(By.id("sub-save")).click();
    message("Endpoint saved");
    wait.until(d -> d.findElement(row(id)).getText().contains("edited in the portal"));
    assertThat(node.get("/subscriptions/" + id).json().getJsonArray("events").getList()).containsExactly("refund.*");

    clickIn(row(id), ".act-toggle");
    message("Endpoint disabled");
    wait.until(d -> d.findElement(row(id)).getText().contains("disabled"));
    assertThat(node.get("/subscriptions/" + id).json().getString("status")).isEqualTo("disabled");
    clickIn(row(id), ".act-toggle");
    message("Endpoint enabled");
    wait.until(d -> d.findElement(row(id)).getText().contains("enabled"));

    clickIn(row(id), ".act-rotate");
    wait.until(ExpectedConditions.textToBe(By.id("secret-sub"), id));
    assertThat(text("secret-value")).startsWith("whsec_");
    browser.findElement(By.id("secret-dismiss")).click();

    clickIn(row(id), ".act-delete");
    wait.until(ExpectedConditions.alertIsPresent()).dismiss();
    assertThat(node.get("/subscriptions/" + id).status()).isEqualTo(200);
    clickIn(row(id), ".act-delete");
    Alert confirm = wait.until(ExpectedConditions.alertIsPresent());
    assertThat(confirm.getText()).contains("Delete the endpoint " + receiver.url());
    confirm.accept();
    message("Endpoint deleted");
    wait.until(ExpectedConditions.numberOfElementsToBe(row(id), 0));
    assertThat(node.get("/subscriptions/" + id).status()).isEqualTo(404);
  }

  @Test
  void nothingOfAnotherTenantIsListedOrFoundByItsIds() {
    openPortal(BRANDING);
    wait.until(d -> !d.findElements(By.cssSelector("#recent-body tr")).isEmpty());
    assertThat(browser.findElements(row(subscriptionOfB))).isEmpty();
    assertThat(browser.findElements(By.cssSelector("#recent-body tr[data-id='" + webhookOfB + "']"))).isEmpty();
    assertThat(browser.findElement(By.tagName("body")).getText()).doesNotContain("Bravo", "bravo");

    ((JavascriptExecutor) browser).executeScript("location.hash = 'endpoint=" + subscriptionOfB + "'");
    message("No endpoint with id " + subscriptionOfB + " was found");
    assertThat(browser.findElement(By.id("endpoint")).isDisplayed()).isFalse();

    WebElement search = browser.findElement(By.id("search-id"));
    search.clear();
    search.sendKeys(webhookOfB);
    browser.findElement(By.id("search-go")).click();
    message("No webhook with id " + webhookOfB + " was found");
    assertThat(browser.findElement(By.id("delivery")).isDisplayed()).isFalse();
    assertThat(browser.findElement(By.tagName("body")).getText()).doesNotContain("bravo");
  }

  @Test
  void thePortalsSessionCannotReachTheAdminRoutes() {
    openPortal("");
    Object answers = ((JavascriptExecutor) browser).executeAsyncScript(
        "var done = arguments[arguments.length - 1];"
            + "var token = JSON.parse(sessionStorage.getItem('hookrelay.portal')).token;"
            + "var h = { headers: { Authorization: 'Bearer ' + token } };"
            + "Promise.all([fetch('/tenants', h), fetch('/tenants/portal-b', h), fetch('/tenants/portal-a/tokens', h),"
            + "  fetch('/tenants/portal-b/subscriptions', h), fetch('/tenants/portal-a', h)])"
            + ".then(function (rs) { done(rs.map(function (r) { return r.status; }).join(',')); });");
    assertThat(answers).isEqualTo("403,404,403,404,200");
  }

  @Test
  void aSpentOrExpiredLinkShowsTheErrorMessage() {
    String link = openPortal("");
    browser.get(node.baseUrl + "/ui/"); // away, then back with the same link: it is spent
    browser.get(link);
    wait.until(ExpectedConditions.textToBe(By.id("gate-title"), "This link has expired"));
    assertThat(text("gate-text")).contains("work once", "Open the webhooks page again from the site that sent you here");
    assertThat(browser.findElement(By.id("app")).isDisplayed()).isFalse();

    String expired = portalLink();
    assertThat(node.count("WITH e AS (UPDATE tenant_tokens SET expires_at = now() - interval '1 second' "
        + "WHERE kind = 'portal_link' AND revoked_at IS NULL RETURNING 1) SELECT count(*) FROM e")).isEqualTo(1);
    browser.get(expired);
    wait.until(ExpectedConditions.textToBe(By.id("gate-title"), "This link has expired"));
    assertThat(browser.getCurrentUrl()).doesNotContain("token");
  }

  @Test
  void theHeaderCarriesThePlatformsNameAndColourFromTheLinkOrTheTenantsMetadata() {
    openPortal(BRANDING);
    assertThat(text("brand-name")).isEqualTo("Acme Payments");
    assertThat(browser.findElement(By.id("brand")).getCssValue("background-color")).isEqualTo("rgba(180, 83, 9, 1)");

    openPortal("");
    assertThat(text("brand-name")).isEqualTo("Alpha's platform");
    assertThat(browser.findElement(By.id("brand")).getCssValue("background-color")).isEqualTo("rgba(15, 118, 110, 1)");

    // Markup is shown as text and a colour that is not #rrggbb is ignored (the tenant's colour stays).
    openPortal("?name=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&color=red%3Bbackground%3Aurl(x)");
    assertThat(text("brand-name")).isEqualTo("<img src=x onerror=alert(1)>");
    assertThat(browser.findElements(By.cssSelector("#brand img"))).isEmpty();
    assertThat(browser.findElement(By.id("brand")).getCssValue("background-color")).isEqualTo("rgba(15, 118, 110, 1)");
  }

  @Test
  void thePortalWorksInsideThePlatformsIframe() throws Exception {
    String link = portalLink().replace("/portal#", "/portal" + BRANDING + "#");
    byte[] page = ("<!doctype html><title>Acme Payments</title><h1>Acme Payments: your webhooks</h1>"
        + "<iframe id=\"portal\" width=\"1200\" height=\"900\" src=\"" + link.replace("&", "&amp;") + "\"></iframe>")
        .getBytes(StandardCharsets.UTF_8);
    HttpServer platform = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    platform.createContext("/", exchange -> {
      exchange.getResponseHeaders().add("content-type", "text/html; charset=utf-8");
      exchange.sendResponseHeaders(200, page.length);
      exchange.getResponseBody().write(page);
      exchange.close();
    });
    platform.start();
    try {
      browser.get("about:blank");
      browser.get("http://localhost:" + platform.getAddress().getPort() + "/");
      wait.until(ExpectedConditions.frameToBeAvailableAndSwitchToIt(By.id("portal")));
      wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("app")));
      assertThat(text("brand-name")).isEqualTo("Acme Payments");
      assertThat(text("tenant-name")).isEqualTo("Alpha Shop");
      wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#subs-body tr")));
      assertThat(((JavascriptExecutor) browser).executeScript("return location.hash")).isEqualTo("");
    } finally {
      browser.switchTo().defaultContent();
      platform.stop(0);
    }
  }
}
