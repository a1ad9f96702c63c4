// Kafka Streams' side of the windowed-aggregation differential test: counts per key in tumbling or hopping windows
// with a grace period, one final result per window (suppress untilWindowCloses), written as
// key -> {"start":ms,"end":ms,"value":n}, the form of Faustus's finalResults. Runs until killed.
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

public class WindowCounts {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], appId = args[1], input = args[2], output = args[3], kind = args[4], stateDir = args[5];
    long size = Long.parseLong(args[6]), step = Long.parseLong(args[7]), grace = Long.parseLong(args[8]);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    props.put("consumer.auto.offset.reset", "earliest");
    TimeWindows windows = TimeWindows.ofSizeAndGrace(Duration.ofMillis(size), Duration.ofMillis(grace));
    if (kind.equals("hopping")) windows = windows.advanceBy(Duration.ofMillis(step));
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey()
        .windowedBy(windows)
        .count(Materialized.<String, Long>as(
                Stores.inMemoryWindowStore("counts", Duration.ofMillis(size + grace), Duration.ofMillis(size), false))
            .withKeySerde(Serdes.String())
            .withValueSerde(Serdes.Long()))
        .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
        .toStream()
        .map((windowed, count) -> KeyValue.pair(windowed.key(),
            "{\"start\":" + windowed.window().start() + ",\"end\":" + windowed.window().end() + ",\"value\":" + count + "}"))
        .to(output, Produced.with(Serdes.String(), Serdes.String()));
    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    Runtime.getRuntime().addShutdownHook(new Thread(streams::close));
    streams.start();
    System.out.println("started");
    Thread.currentThread().join();
  }
}
