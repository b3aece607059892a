package io.imageclassifier.testing.emulator;

import com.google.cloud.NoCredentials;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension that starts the Pub/Sub emulator and fake-gcs-server once per test run (shared
 * by every class that registers it; stopped when the run ends). fake-gcs-server publishes
 * {@code OBJECT_FINALIZE}/{@code OBJECT_DELETE} notifications in the real GCS format
 * ({@code JSON_API_V1}) to {@link #NOTIFICATION_TOPIC} on the Pub/Sub emulator, so tests exercise the
 * same chain as production: upload, notification, subscription.
 *
 * <p>Missing emulator binaries skip the tests with a message, except when {@code CI=true}: there
 * they fail. Install them with {@code scripts/install-emulators.sh}.
 */
public final class CloudEmulators implements BeforeAllCallback {

    public static final String PROJECT = "test-project";
    public static final String NOTIFICATION_TOPIC = "projects/" + PROJECT + "/topics/gcs-notifications";

    private Running running;

    @Override
    public void beforeAll(ExtensionContext context) {
        running = context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(Running.class, k -> Running.start(null), Running.class);
    }

    /** {@code host:port} of the Pub/Sub emulator. */
    public String pubsubEndpoint() {
        return "127.0.0.1:" + running.pubsub.port;
    }

    /** {@code http://host:port} of the GCS emulator. */
    public String gcsEndpoint() {
        return "http://127.0.0.1:" + running.gcs.port;
    }

    public PubSubTestClient pubsub() {
        return running.client;
    }

    /** A test-side Storage client of the emulator (close it). */
    public Storage storage() {
        return StorageOptions.http().setHost(gcsEndpoint()).setProjectId(PROJECT)
                .setCredentials(NoCredentials.getInstance()).build().getService();
    }

    /**
     * Publishes an {@code OBJECT_FINALIZE} notification for {@code blob} in the exact format GCS
     * uses ({@code JSON_API_V1}): what a redelivered or duplicated notification looks like.
     */
    public void publishFinalize(Blob blob) throws Exception {
        String resource = String.format("{\"kind\":\"storage#object\",\"name\":\"%s\",\"bucket\":\"%s\","
                        + "\"generation\":\"%d\",\"contentType\":\"%s\",\"size\":\"%d\",\"timeCreated\":\"%s\","
                        + "\"updated\":\"%s\"}", blob.getName(), blob.getBucket(), blob.getGeneration(),
                blob.getContentType(), blob.getSize(), blob.getCreateTimeOffsetDateTime(),
                blob.getUpdateTimeOffsetDateTime());
        pubsub().publish(NOTIFICATION_TOPIC, resource.getBytes(StandardCharsets.UTF_8),
                Map.of("eventType", "OBJECT_FINALIZE", "payloadFormat", "JSON_API_V1", "bucketId", blob.getBucket(),
                        "objectId", blob.getName(), "objectGeneration", Long.toString(blob.getGeneration())));
    }

    /**
     * The three bad inputs of the cloud-path ITs, through the real upload -> notification chain
     * where there is one: a deleted object ({@code gone.jpg}, uploaded from {@code image}, whose
     * notification names a generation that no longer exists: 404), a non-image
     * ({@code notes.txt}, {@code text/plain}) and a malformed message ({@code broken.jpg}).
     *
     * @return the deleted object, for its generation
     */
    public Blob createBadInputs(Storage storage, String bucket, Path image) throws Exception {
        Blob gone = storage.create(
                BlobInfo.newBuilder(bucket, "gone.jpg").setContentType("image/jpeg").build(),
                Files.readAllBytes(image));
        storage.delete(BlobId.of(bucket, "gone.jpg"));
        storage.create(BlobInfo.newBuilder(bucket, "notes.txt").setContentType("text/plain").build(),
                "hello".getBytes(StandardCharsets.UTF_8));
        pubsub().publish(NOTIFICATION_TOPIC, "{not json".getBytes(StandardCharsets.UTF_8),
                Map.of("eventType", "OBJECT_FINALIZE", "payloadFormat", "JSON_API_V1", "bucketId", bucket,
                        "objectId", "broken.jpg", "objectGeneration", "1"));
        return gone;
    }

    /** Where the build puts the grpc-api the Pub/Sub emulator needs (module directory relative). */
    static final String EMULATOR_GRPC_API = "target/pubsub-emulator-lib/grpc-api-1.68.1.jar";

    /**
     * Starts both emulators outside JUnit (for the cloud benchmark), with the same settings as the
     * tests except, where {@code filesystemRoot} is given, fake-gcs-server's storage: its
     * {@code filesystem} backend under that folder instead of {@code memory}. The memory backend
     * answers a GET of a given generation by copying its whole object list and formatting two
     * strings per object held (fake-gcs-server 1.54 {@code findObject}), so its CPU per download grows
     * with the objects it holds, which Cloud Storage's does not; the filesystem backend reads the
     * object by its path. Close the result to stop them.
     */
    public static Running startStandalone(Path filesystemRoot) {
        return Running.start(filesystemRoot);
    }

    /** Both emulators running; {@link #close()} stops them. */
    public static final class Running implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        final EmulatorProcess pubsub;
        final EmulatorProcess gcs;
        final PubSubTestClient client;

        private Running(EmulatorProcess pubsub, EmulatorProcess gcs, PubSubTestClient client) {
            this.pubsub = pubsub;
            this.gcs = gcs;
            this.client = client;
        }

        /** {@code filesystemRoot}: fake-gcs-server's filesystem backend there; null: its memory backend. */
        static Running start(Path filesystemRoot) {
            Path pubsubBin = require(EmulatorBinaries.pubsub(), "Pub/Sub emulator (cloud-pubsub-emulator of the "
                    + "Google Cloud CLI: gcloud components install pubsub-emulator, or apt google-cloud-cli-pubsub-emulator)");
            Path gcsBin = require(EmulatorBinaries.fakeGcsServer(), "fake-gcs-server (scripts/install-emulators.sh)");
            EmulatorProcess pubsub = null;
            EmulatorProcess gcs = null;
            try {
                int pubsubPort = EmulatorProcess.freePort();
                pubsub = EmulatorProcess.start("pubsub-emulator", pubsubCommand(pubsubBin, pubsubPort), pubsubPort,
                        Map.of(), Duration.ofSeconds(60));
                PubSubTestClient client = new PubSubTestClient("127.0.0.1:" + pubsubPort);
                client.createTopic(NOTIFICATION_TOPIC);
                int gcsPort = EmulatorProcess.freePort();
                List<String> backend = filesystemRoot == null ? List.of("-backend", "memory")
                        : List.of("-backend", "filesystem", "-filesystem-root", filesystemRoot.toString());
                List<String> command = new ArrayList<>(List.of(gcsBin.toString(),
                        "-scheme", "http", "-host", "127.0.0.1", "-port", Integer.toString(gcsPort),
                        "-external-url", "http://127.0.0.1:" + gcsPort));
                command.addAll(backend);
                command.addAll(List.of("-event.pubsub-project-id", PROJECT, "-event.pubsub-topic", "gcs-notifications",
                        "-event.list", "finalize,delete", "-log-level", "warn"));
                gcs = EmulatorProcess.start("fake-gcs-server", command,
                        gcsPort, Map.of("PUBSUB_EMULATOR_HOST", "127.0.0.1:" + pubsubPort), Duration.ofSeconds(30));
                return new Running(pubsub, gcs, client);
            } catch (Exception e) {
                if (gcs != null) {
                    gcs.close();
                }
                if (pubsub != null) {
                    pubsub.close();
                }
                throw new IllegalStateException("could not start the cloud emulators: " + e.getMessage(), e);
            }
        }

        /**
         * The emulator's fat jar (0.8.20) bundles grpc-core 1.68.1, which calls
         * {@code InternalStatus.asRuntimeException(Status, Metadata, boolean)}, with an older grpc-api
         * that lacks it: every StreamingPull cancel then throws {@code NoSuchMethodError} in
         * {@code onRstStreamRead}, the server never cleans the dead stream up and keeps leasing the
         * subscription's messages to it, so a restarted reader starves for minutes. Launching the same
         * jar with grpc-api 1.68.1 first on the classpath fixes that (the build copies it to
         * {@value #EMULATOR_GRPC_API}; the project's own grpc-api, 1.76, lacks the method as well).
         * Falls back to the launcher script when the jar is not where the SDK puts it.
         */
        private static List<String> pubsubCommand(Path launcher, int port) throws Exception {
            Path lib = launcher.toRealPath().getParent().getParent().resolve("lib");
            Optional<Path> jar;
            try (var files = Files.list(lib)) {
                jar = files.filter(p -> p.getFileName().toString().matches("cloud-pubsub-emulator-.*-all\\.jar"))
                        .findFirst();
            } catch (java.io.IOException e) {
                jar = Optional.empty();
            }
            List<String> args = List.of("--host=127.0.0.1", "--port=" + port);
            if (jar.isEmpty()) {
                return java.util.stream.Stream.concat(java.util.stream.Stream.of(launcher.toString()), args.stream())
                        .toList();
            }
            // Relative to the module (tests) or to the repository root (scripts/bench-cloud.sh).
            Path grpcApi = Path.of(EMULATOR_GRPC_API);
            if (!Files.exists(grpcApi)) {
                grpcApi = Path.of("flink-job").resolve(EMULATOR_GRPC_API);
            }
            if (!Files.exists(grpcApi)) {
                throw new IllegalStateException(grpcApi + " is missing: build with mvn (it copies it there), see pom.xml");
            }
            Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
            return java.util.stream.Stream.concat(java.util.stream.Stream.of(javaBin.toString(), "-Xmx512m", "-cp",
                            grpcApi + java.io.File.pathSeparator + jar.get(), "com.google.cloud.pubsub.testing.v1.Main"),
                    args.stream()).toList();
        }

        /** {@code host:port} of the Pub/Sub emulator. */
        public String pubsubEndpoint() {
            return "127.0.0.1:" + pubsub.port;
        }

        /** {@code http://host:port} of the GCS emulator. */
        public String gcsEndpoint() {
            return "http://127.0.0.1:" + gcs.port;
        }

        /** Process ids of the Pub/Sub emulator's JVM and of fake-gcs-server (to read their CPU time). */
        public long pubsubPid() {
            return pubsub.pid();
        }

        public long gcsPid() {
            return gcs.pid();
        }

        public PubSubTestClient client() {
            return client;
        }

        private static Path require(Optional<Path> binary, String what) {
            if (binary.isPresent()) {
                return binary.get();
            }
            String message = what + " is not installed";
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(message + " (CI=true: emulator tests must run)");
            }
            Assumptions.abort(message + ": skipping the emulator tests (they run in CI)");
            return null;
        }

        @Override
        public void close() throws Exception {
            client.close();
            gcs.close();
            pubsub.close();
        }
    }
}
