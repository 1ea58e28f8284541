package io.hookrelay.embedded;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** An exclusive claim on a data directory, held for as long as one embedded server runs on it. */
final class DataDirLock implements AutoCloseable {

  static final String FILE_NAME = "embedded.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Locks {@code dataDir}. The operating system drops the lock when its JVM dies, even by
   * kill -9, so a held lock means a live owner and a free one means any server still running on
   * the directory is an orphan that may be stopped.
   */
  static DataDirLock acquire(Path dataDir, String server) throws IOException {
    Files.createDirectories(dataDir);
    Path file = dataDir.resolve(FILE_NAME);
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException sameJvm) {
      lock = null;
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      String holder = readHolder(file);
      channel.close();
      throw new DataDirUnusableException("Embedded " + server + " data directory " + dataDir + " is already in use by process "
          + holder + " (it holds " + file + "); stop that process or use another HOOKRELAY_DATA_DIR");
    }
    // the holder's pid, only so that a refused second start can name it
    channel.truncate(0);
    channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
    return new DataDirLock(channel, lock);
  }

  private static String readHolder(Path file) {
    try {
      String pid = Files.readString(file, StandardCharsets.US_ASCII).trim();
      return pid.isEmpty() ? "unknown" : pid;
    } catch (IOException e) {
      return "unknown";
    }
  }

  @Override
  public void close() {
    if (!channel.isOpen()) {
      return;
    }
    try {
      lock.release();
      channel.close();
    } catch (IOException ignored) {
      // closing the channel is best effort: the lock goes with the JVM anyway
    }
  }
}
