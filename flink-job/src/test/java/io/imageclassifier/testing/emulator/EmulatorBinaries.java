package io.imageclassifier.testing.emulator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where the emulators are installed. Pub/Sub: the Google Cloud CLI's {@code cloud-pubsub-emulator}
 * ({@code $PUBSUB_EMULATOR_BIN}, or beside {@code gcloud} on the PATH, or {@code $CLOUDSDK_ROOT_DIR}).
 * GCS: fake-gcs-server ({@code $FAKE_GCS_SERVER_BIN}, or on the PATH, or where
 * {@code scripts/install-emulators.sh} puts it).
 */
final class EmulatorBinaries {

    private EmulatorBinaries() {}

    static Optional<Path> pubsub() {
        List<Path> candidates = new ArrayList<>();
        env("PUBSUB_EMULATOR_BIN").ifPresent(candidates::add);
        env("CLOUDSDK_ROOT_DIR").ifPresent(root -> candidates.add(root.resolve(PUBSUB_REL)));
        onPath("gcloud").ifPresent(gcloud -> {
            try {
                Path real = gcloud.toRealPath(); // <sdk>/bin/gcloud
                candidates.add(real.getParent().getParent().resolve(PUBSUB_REL));
            } catch (java.io.IOException ignored) {
                // fall through to the well-known locations
            }
        });
        candidates.add(Path.of("/usr/lib/google-cloud-sdk").resolve(PUBSUB_REL));
        candidates.add(Path.of("/opt/google-cloud-sdk").resolve(PUBSUB_REL));
        return candidates.stream().filter(Files::isExecutable).findFirst();
    }

    static Optional<Path> fakeGcsServer() {
        List<Path> candidates = new ArrayList<>();
        env("FAKE_GCS_SERVER_BIN").ifPresent(candidates::add);
        onPath("fake-gcs-server").ifPresent(candidates::add);
        candidates.add(Path.of(System.getProperty("user.home"), ".cache", "image-classifier", "emulators", "bin",
                "fake-gcs-server"));
        return candidates.stream().filter(Files::isExecutable).findFirst();
    }

    private static final String PUBSUB_REL = "platform/pubsub-emulator/bin/cloud-pubsub-emulator";

    private static Optional<Path> env(String name) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(Path.of(v));
    }

    private static Optional<Path> onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, exe);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
