package io.hookrelay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.hookrelay.config.ConfigException;
import io.hookrelay.config.ConfigLoader;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** HOOKRELAY_CLUSTER_* settings become the Hazelcast configuration of conf/cluster.xml, and bad ones stop start-up. */
class ClusterConfigTest {

  private static Config hazelcast(String... keyValues) throws Exception {
    return Node.hazelcastConfig(ConfigLoader.load(env(keyValues)));
  }

  private static Map<String, String> env(String... keyValues) {
    Map<String, String> env = new HashMap<>();
    env.put("HOOKRELAY_CLUSTER", "true");
    for (int i = 0; i < keyValues.length; i += 2) {
      env.put(keyValues[i], keyValues[i + 1]);
    }
    return env;
  }

  @Test
  void byDefaultNodesJoinByMemberListOnLoopback() throws Exception {
    Config config = hazelcast();
    JoinConfig join = config.getNetworkConfig().getJoin();
    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(join.getTcpIpConfig().getMembers()).containsExactly("127.0.0.1");
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(config.getNetworkConfig().getInterfaces().isEnabled()).isTrue();
    assertThat(config.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("127.0.0.1");
    assertThat(config.getNetworkConfig().getPublicAddress()).isEqualTo("127.0.0.1");
    assertThat(config.getNetworkConfig().getPort()).isEqualTo(5701);
    assertThat(config.getClusterName()).isEqualTo("hookrelay");
  }

  @Test
  void multicastIsChosenByConfiguration() throws Exception {
    JoinConfig join = hazelcast("HOOKRELAY_CLUSTER_JOIN", "multicast").getNetworkConfig().getJoin();
    assertThat(join.getMulticastConfig().isEnabled()).isTrue();
    assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
  }

  @Test
  void aContainerBindsEveryInterfaceAndAdvertisesItsPublicHost() throws Exception {
    Config config = hazelcast("HOOKRELAY_CLUSTER_HOST", "0.0.0.0", "HOOKRELAY_CLUSTER_PUBLIC_HOST", "delivery1",
        "HOOKRELAY_CLUSTER_MEMBERS", "api1, delivery1:5702", "HOOKRELAY_CLUSTER_NAME", "compose",
        "HOOKRELAY_CLUSTER_HAZELCAST_PORT", "6701");
    assertThat(config.getNetworkConfig().getInterfaces().isEnabled()).isFalse();
    assertThat(config.getProperty("hazelcast.socket.bind.any")).isEqualTo("true");
    assertThat(config.getNetworkConfig().getPublicAddress()).isEqualTo("delivery1");
    assertThat(config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers())
        .containsExactly("api1", "delivery1:5702");
    assertThat(config.getNetworkConfig().getPort()).isEqualTo(6701);
    assertThat(config.getClusterName()).isEqualTo("compose");
  }

  @Test
  void anUnknownJoinMethodStopsStartUpNamingTheVariable() {
    assertThatThrownBy(() -> ConfigLoader.load(env("HOOKRELAY_CLUSTER_JOIN", "gossip")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("HOOKRELAY_CLUSTER_JOIN").hasMessageContaining("multicast, tcp");
  }

  @Test
  void bindingEveryInterfaceWithoutAPublicHostStopsStartUp() {
    assertThatThrownBy(() -> ConfigLoader.load(env("HOOKRELAY_CLUSTER_HOST", "0.0.0.0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("HOOKRELAY_CLUSTER_PUBLIC_HOST");
  }

  @Test
  void aClusterHostThatIsNotAnAddressStopsStartUp() {
    assertThatThrownBy(() -> ConfigLoader.load(env("HOOKRELAY_CLUSTER_HOST", "api1")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("HOOKRELAY_CLUSTER_HOST").hasMessageContaining("IP address");
  }

  @Test
  void anEmptyMemberListStopsStartUpWhenJoiningByMemberList() {
    assertThatThrownBy(() -> ConfigLoader.load(env("HOOKRELAY_CLUSTER_MEMBERS", " ")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("HOOKRELAY_CLUSTER_MEMBERS");
  }
}
