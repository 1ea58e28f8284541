package io.hookrelay.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Headless Chromium for the browser tests: Debian's chromium and chromedriver (or CHROME_BIN and CHROMEDRIVER), a
 * throwaway profile, and screenshots kept under target/screenshots. A machine without them skips the test.
 */
public final class Chromium implements AutoCloseable {
  private static final List<String> BROWSERS = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser",
      "/usr/bin/google-chrome");
  private static final List<String> DRIVERS = List.of("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");

  public final ChromeDriver driver;
  private final Path profile;

  private Chromium(ChromeDriver driver, Path profile) {
    this.driver = driver;
    this.profile = profile;
  }

  /** Skips the calling test class (a JUnit assumption) when no Chromium and ChromeDriver are installed. */
  public static void assumeInstalled() {
    assumeTrue(binary().isPresent() && chromedriver().isPresent(), "no Chromium and ChromeDriver found (looked for "
        + BROWSERS + " and " + DRIVERS + "; install Debian's chromium and chromium-driver, as .ci/run does)");
  }

  public static Chromium start(Dimension window) throws IOException {
    Path profile = Files.createTempDirectory("hookrelay-chromium");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(binary().orElseThrow());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--user-data-dir=" + profile);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(chromedriver().orElseThrow())).usingAnyFreePort().build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().window().setSize(window);
    return new Chromium(driver, profile);
  }

  /** Keeps what the page shows now as target/screenshots/{name}. */
  public void screenshot(String name) throws IOException {
    Path target = Path.of("target", "screenshots");
    Files.createDirectories(target);
    File shot = driver.getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public void close() throws IOException {
    try {
      driver.quit();
    } finally {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static Optional<String> binary() {
    return firstExisting(System.getenv("CHROME_BIN"), BROWSERS);
  }

  private static Optional<String> chromedriver() {
    return firstExisting(System.getenv("CHROMEDRIVER"), DRIVERS);
  }

  private static Optional<String> firstExisting(String preferred, List<String> candidates) {
    return Stream.concat(Stream.ofNullable(preferred), candidates.stream())
        .filter(p -> new File(p).canExecute()).findFirst();
  }
}
