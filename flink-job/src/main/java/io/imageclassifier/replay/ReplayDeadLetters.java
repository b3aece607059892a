package io.imageclassifier.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.api.core.ApiFuture;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.InstantiatingGrpcChannelProvider;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import com.google.cloud.NoCredentials;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import io.grpc.ManagedChannelBuilder;
import io.imageclassifier.source.notification.GcsNotificationParser;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Brings dead letters back through the running job: for each selected dead letter
 * ({@link DeadLetterFiles}) it reads the object's current metadata (that generation) from Cloud
 * Storage and publishes an {@code OBJECT_FINALIZE} notification for it, in Cloud Storage's own
 * format plus a {@code replayId} attribute, to the topic the job's subscription reads. The job's
 * dedupe lets each replay id through once, so each object gets one row, and replaying the same
 * files again adds none. Objects whose generation is gone are reported and skipped.
 * Run through {@code scripts/replay-dead-letters.sh}.
 */
@Command(name = "replay-dead-letters", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Republishes the notifications of dead-lettered Cloud Storage objects, so the running job "
                + "classifies each once more (once: replaying the same files twice adds no rows).")
public final class ReplayDeadLetters implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--dead-letters", paramLabel = "PATH", required = true,
            description = "A dead-letter file, or a directory of them (the job's <output-dir>/dead-letter).")
    Path deadLetters;

    @Option(names = "--reasons", paramLabel = "R1,R2", split = ",",
            description = "Replay dead letters with these reasons (e.g. fetch_timeout,fetch_error). "
                    + "Default: every dead letter marked retryable.")
    List<String> reasons = new ArrayList<>();

    @Option(names = "--topic", paramLabel = "TOPIC",
            description = "The topic of the bucket's notifications, projects/P/topics/T (the job's subscription's topic).")
    String topic;

    @Option(names = "--pubsub-endpoint", paramLabel = "HOST:PORT",
            description = "Pub/Sub emulator (plaintext, no credentials). Default: $PUBSUB_EMULATOR_HOST, else the real service.")
    String pubsubEndpoint;

    @Option(names = "--gcs-endpoint", paramLabel = "URL",
            description = "Cloud Storage emulator URL. Default: $STORAGE_EMULATOR_HOST, else the real service.")
    String gcsEndpoint;

    @Option(names = "--project-id", paramLabel = "PROJECT", description = "Project of the Cloud Storage client.")
    String projectId;

    @Option(names = "--dry-run", description = "List what would be replayed; publish nothing.")
    boolean dryRun;

    private PrintStream out = System.out;

    /** What a run did. */
    public record Result(int selected, int published, int gone) {}

    public static void main(String[] args) {
        System.exit(new CommandLine(new ReplayDeadLetters()).execute(args));
    }

    /** Runs with {@code args} and the process environment; for tests and the script. */
    public static Result run(String[] args, PrintStream out) throws Exception {
        ReplayDeadLetters replay = new ReplayDeadLetters();
        new CommandLine(replay).parseArgs(args);
        replay.out = out;
        return replay.replay();
    }

    @Override
    public Integer call() throws Exception {
        Result r = replay();
        return r.gone() > 0 && r.published() == 0 && r.selected() > 0 ? 1 : 0;
    }

    private Result replay() throws Exception {
        if (!Files.exists(deadLetters)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--dead-letters " + deadLetters
                    + " does not exist (for gs:// paths use scripts/replay-dead-letters.sh, which copies them first)");
        }
        Set<String> wanted = new LinkedHashSet<>(reasons);
        DeadLetterFiles.Selection selection = DeadLetterFiles.select(deadLetters, wanted);
        out.printf("%d dead letter(s) read: %d selected (%s), %d not selected, %d local files (not replayable: copy "
                        + "them into the input directory again), %d unreadable%n", selection.read(),
                selection.selected().size(), wanted.isEmpty() ? "retryable" : "reasons " + String.join(",", wanted),
                selection.notSelected(), selection.local(), selection.unreadable());
        if (dryRun) {
            selection.selected().forEach(s -> out.printf("would replay %s (%s) as %s%n", s.object(), s.reason(),
                    s.replayId()));
            return new Result(selection.selected().size(), 0, 0);
        }
        if (topic == null || !topic.matches("projects/[^/]+/topics/[^/]+")) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--topic projects/P/topics/T is required (the topic of the bucket's notifications)");
        }
        int published = 0;
        int gone = 0;
        Storage storage = storage();
        Publisher publisher = publisher();
        try {
            List<ApiFuture<String>> sent = new ArrayList<>();
            for (DeadLetterFiles.Selected s : selection.selected()) {
                Blob blob = storage.get(BlobId.of(s.bucket(), s.name(), Long.parseLong(s.generation())));
                if (blob == null) {
                    out.printf("gone: %s no longer exists; not replayed%n", s.object());
                    gone++;
                    continue;
                }
                sent.add(publisher.publish(notification(blob, s.replayId())));
                out.printf("replaying %s (%s) as %s%n", s.object(), s.reason(), s.replayId());
            }
            for (ApiFuture<String> f : sent) {
                f.get(60, TimeUnit.SECONDS);
                published++;
            }
        } finally {
            publisher.shutdown();
            publisher.awaitTermination(30, TimeUnit.SECONDS);
            storage.close();
        }
        out.printf("%d published, %d gone%n", published, gone);
        return new Result(selection.selected().size(), published, gone);
    }

    /** The notification Cloud Storage would send for {@code blob}, with the replay id added. */
    static PubsubMessage notification(Blob blob, String replayId) throws Exception {
        ObjectNode resource = JSON.createObjectNode()
                .put("kind", "storage#object")
                .put("bucket", blob.getBucket())
                .put("name", blob.getName())
                .put("generation", Long.toString(blob.getGeneration()))
                .put("size", Long.toString(blob.getSize()));
        if (blob.getContentType() != null) {
            resource.put("contentType", blob.getContentType());
        }
        if (blob.getCreateTimeOffsetDateTime() != null) {
            resource.put("timeCreated", blob.getCreateTimeOffsetDateTime().toString());
        }
        if (blob.getUpdateTimeOffsetDateTime() != null) {
            resource.put("updated", blob.getUpdateTimeOffsetDateTime().toString());
        }
        return PubsubMessage.newBuilder()
                .setData(ByteString.copyFrom(JSON.writeValueAsBytes(resource)))
                .putAllAttributes(Map.of(
                        "eventType", GcsNotificationParser.OBJECT_FINALIZE,
                        "payloadFormat", "JSON_API_V1",
                        "bucketId", blob.getBucket(),
                        "objectId", blob.getName(),
                        "objectGeneration", Long.toString(blob.getGeneration()),
                        GcsNotificationParser.REPLAY_ID, replayId))
                .build();
    }

    private Storage storage() {
        String endpoint = firstNonBlank(gcsEndpoint, System.getenv("STORAGE_EMULATOR_HOST"));
        StorageOptions.Builder builder = StorageOptions.http();
        if (projectId != null) {
            builder.setProjectId(projectId);
        }
        if (endpoint != null) {
            builder.setHost(endpoint.startsWith("http") ? endpoint : "http://" + endpoint)
                    .setCredentials(NoCredentials.getInstance());
            if (projectId == null) {
                builder.setProjectId("emulator");
            }
        }
        return builder.build().getService();
    }

    private Publisher publisher() throws Exception {
        String endpoint = firstNonBlank(pubsubEndpoint, System.getenv("PUBSUB_EMULATOR_HOST"));
        Publisher.Builder builder = Publisher.newBuilder(topic);
        if (endpoint != null) {
            builder.setChannelProvider(InstantiatingGrpcChannelProvider.newBuilder()
                            .setEndpoint(endpoint)
                            .setChannelConfigurator(ManagedChannelBuilder::usePlaintext)
                            .build())
                    .setCredentialsProvider(NoCredentialsProvider.create());
        }
        return builder.build();
    }

    private static String firstNonBlank(String a, String b) {
        return a != null && !a.isBlank() ? a : (b != null && !b.isBlank() ? b : null);
    }
}
