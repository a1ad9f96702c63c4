// Kafka Streams' side of the joins and session-windows differential test (test/integration/joins-streams-diff.test.ts):
// one KafkaStreams instance runs every topology, each in its own sub-topology (its own input topics):
//   left x right   windowed join (JoinWindows.ofTimeDifferenceAndGrace), inner, left and outer
//   stream x table KStream#join(KTable) and leftJoin
//   sessions       count per key in session windows with a grace period, suppressed until the window closes
// Keys and values are read and written as strings holding JSON (the Faustus side uses json codecs), so a joined value
// is written as {"left":<json or null>,"right":<json or null>}. Runs until killed.
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.ValueJoiner;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;

public class JoinsDiff {
  static final Serde<String> STRING = Serdes.String();

  static String pair(String left, String right) {
    return "{\"left\":" + (left == null ? "null" : left) + ",\"right\":" + (right == null ? "null" : right) + "}";
  }

  public static void main(String[] args) throws Exception {
    // bootstrap appId stateDir prefix within grace gap sessionGrace
    String bootstrap = args[0], appId = args[1], stateDir = args[2], prefix = args[3];
    long within = Long.parseLong(args[4]), grace = Long.parseLong(args[5]);
    long gap = Long.parseLong(args[6]), sessionGrace = Long.parseLong(args[7]);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 2);
    props.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, BuiltInDslStoreSuppliers.InMemoryDslStoreSuppliers.class);
    // Left/outer results of closed windows are checked on every record, not at most once a second of wall-clock
    // time: the throttle is a performance setting, and with it the moment of emission would depend on the clock.
    props.put(StreamsConfig.InternalConfig.EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX, 0L);
    props.put("consumer.auto.offset.reset", "earliest");

    StreamsBuilder builder = new StreamsBuilder();
    Consumed<String, String> consumed = Consumed.with(STRING, STRING);
    Produced<String, String> produced = Produced.with(STRING, STRING);

    KStream<String, String> left = builder.stream(prefix + "left", consumed);
    KStream<String, String> right = builder.stream(prefix + "right", consumed);
    JoinWindows windows = JoinWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(within), Duration.ofMillis(grace));
    ValueJoiner<String, String, String> joiner = JoinsDiff::pair;
    left.join(right, joiner, windows, StreamJoined.<String, String, String>with(STRING, STRING, STRING).withName("inner"))
        .to(prefix + "ks-inner", produced);
    left.leftJoin(right, joiner, windows, StreamJoined.<String, String, String>with(STRING, STRING, STRING).withName("left"))
        .to(prefix + "ks-left", produced);
    left.outerJoin(right, joiner, windows, StreamJoined.<String, String, String>with(STRING, STRING, STRING).withName("outer"))
        .to(prefix + "ks-outer", produced);

    KStream<String, String> events = builder.stream(prefix + "st-stream", consumed);
    KTable<String, String> table = builder.table(prefix + "st-table", consumed, Materialized.as("st-table"));
    Joined<String, String, String> joined = Joined.with(STRING, STRING, STRING);
    events.join(table, joiner, joined).to(prefix + "ks-st-inner", produced);
    events.leftJoin(table, joiner, joined).to(prefix + "ks-st-left", produced);

    builder.stream(prefix + "sessions", consumed)
        .groupByKey()
        .windowedBy(SessionWindows.ofInactivityGapAndGrace(Duration.ofMillis(gap), Duration.ofMillis(sessionGrace)))
        .count(Materialized.with(STRING, Serdes.Long()))
        .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
        .toStream()
        .map((windowed, count) -> KeyValue.pair(windowed.key(),
            "{\"start\":" + windowed.window().start() + ",\"end\":" + windowed.window().end() + ",\"value\":" + count + "}"))
        .to(prefix + "ks-sessions", produced);

    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    Runtime.getRuntime().addShutdownHook(new Thread(streams::close));
    streams.start();
    System.out.println("started");
    Thread.currentThread().join();
  }
}
