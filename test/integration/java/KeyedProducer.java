import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Sends each key (UTF-8) with Kafka's own Java producer and default partitioner; prints "key<TAB>partition". */
public class KeyedProducer {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("key.serializer", ByteArraySerializer.class.getName());
    props.put("value.serializer", ByteArraySerializer.class.getName());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      for (int i = 2; i < args.length; i++) {
        byte[] key = args[i].getBytes(StandardCharsets.UTF_8);
        RecordMetadata metadata = producer.send(new ProducerRecord<>(args[1], key, key)).get();
        System.out.println(args[i] + "\t" + metadata.partition());
      }
    }
  }
}
