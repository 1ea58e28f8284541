package io.hookrelay.embedded;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Turns an embedded server's postgresql:// URL into JDBC connections, the way hookrelay's migrations do. */
final class Jdbc {

  private Jdbc() {
  }

  static Connection connect(String url) throws SQLException {
    URI uri = URI.create(url);
    String[] credentials = uri.getUserInfo().split(":", 2);
    return DriverManager.getConnection("jdbc:postgresql://" + uri.getHost() + ":" + uri.getPort() + uri.getPath(),
        credentials[0], credentials[1]);
  }

  static void execute(String url, String sql) throws SQLException {
    try (Connection connection = connect(url); Statement statement = connection.createStatement()) {
      statement.execute(sql);
    }
  }

  /** The first column of the first row, or null when there is no row. */
  static String queryString(String url, String sql) throws SQLException {
    try (Connection connection = connect(url); Statement statement = connection.createStatement();
         ResultSet rows = statement.executeQuery(sql)) {
      return rows.next() ? rows.getString(1) : null;
    }
  }
}
