// The Kafka Streams anchors of `npm run bench -- anchors` (bench/anchors.ts): a passthrough (at-least-once or
// exactly_once_v2) and a keyed count into a RocksDB store with its changelog, with Kafka Streams' defaults otherwise.
//
//   java -cp <classpath> Anchor <passthrough|count> <at_least_once|exactly_once_v2> <bootstrap> <application id>
//        <source topic> <sink topic or -> <records> <state dir>
//
// Prints "ANCHOR_FIRST <epoch ms>" when the first record is processed and "ANCHOR_DONE <epoch ms>" when the
// <records>-th is; the harness measures from the first line (start-up excluded) and stops the program with SIGTERM.
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;

public final class Anchor {
  public static void main(String[] args) throws InterruptedException {
    if (args.length != 8) {
      System.err.println("usage: Anchor <passthrough|count> <guarantee> <bootstrap> <app id> <source> <sink|-> <records> <state dir>");
      System.exit(2);
    }
    String mode = args[0];
    long total = Long.parseLong(args[6]);

    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[3]);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[2]);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, args[1]);
    props.put(StreamsConfig.STATE_DIR_CONFIG, args[7]);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    // The "-n" systems use every core: one stream thread per core, as Faustus runs one process per core.
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(System.getenv().getOrDefault("ANCHOR_THREADS", "1")));

    AtomicLong seen = new AtomicLong();
    StreamsBuilder builder = new StreamsBuilder();
    KStream<byte[], byte[]> input = builder
        .stream(args[4], Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .peek((key, value) -> {
          long n = seen.incrementAndGet();
          if (n == 1) announce("ANCHOR_FIRST");
          if (n == total) announce("ANCHOR_DONE");
        });
    switch (mode) {
      case "passthrough" -> input.to(args[5], Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
      case "count" -> input
          .groupByKey()
          .count(Materialized.<byte[], Long, KeyValueStore<Bytes, byte[]>>as("counts").withKeySerde(Serdes.ByteArray()));
      default -> {
        System.err.println("unknown mode " + mode);
        System.exit(2);
      }
    }

    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(Duration.ofSeconds(10));
      stopped.countDown();
    }));
    streams.setUncaughtExceptionHandler(error -> {
      error.printStackTrace();
      System.exit(1);
      return null;
    });
    streams.start();
    stopped.await();
  }

  private static void announce(String what) {
    System.out.println(what + " " + System.currentTimeMillis());
    System.out.flush();
  }
}
