package io.imageclassifier.model;

import static io.imageclassifier.testing.ModelRepos.SAME_LABELS;
import static io.imageclassifier.testing.ModelRepos.SHIFTED_LABELS;
import static io.imageclassifier.testing.ModelRepos.UPPER_CASE_LABELS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imageclassifier.classify.LoadedModel;
import io.imageclassifier.classify.ModelConfig;
import io.imageclassifier.classify.ModelFetcher;
import io.imageclassifier.classify.ModelLoadException;
import io.imageclassifier.classify.SharedModelRegistry;
import io.imageclassifier.testing.ModelRepos;
import io.imageclassifier.testing.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A TaskManager's model watcher on a local repository of real model versions. */
class ModelWatcherTest {

    @TempDir Path repo;

    private final SharedModelRegistry registry = new SharedModelRegistry();
    private ModelWatcher watcher;

    private ModelWatcher watcher(boolean canary, ModelFetcher fetcher) {
        watcher = new ModelWatcher(new ModelRepository(repo.toString()),
                ModelConfig.of(SharedData.model().toString(), null), fetcher, new LocalTextStore(), registry, canary);
        return watcher;
    }

    private ModelWatcher started(boolean canary) throws IOException {
        ModelWatcher w = watcher(canary, ModelFetcher.local());
        w.start(List.of());
        return w;
    }

    @AfterEach
    void closeWatcher() {
        if (watcher != null) {
            watcher.close();
        }
        assertThat(registry.openSessions()).as("sessions left open").isZero();
    }

    @Test
    void startsOnTheVersionCurrentNamesAndRowsNameTheFolder() throws Exception {
        ModelRepos.addVersion(repo, "v1", SAME_LABELS);
        ModelRepos.addVersion(repo, "v2", UPPER_CASE_LABELS);
        ModelRepos.point(repo, "CURRENT", "v2");

        LoadedModel model = started(false).models().current().model();

        assertThat(model.version()).isEqualTo("v2");
        assertThat(model.name()).isEqualTo("mobilenet-v2");
        assertThat(model.labels().get(967)).isEqualTo("ESPRESSO");
        assertThat(model.sha256()).isEqualTo("83530ad811bc");
    }

    @Test
    void aNewVersionIsLoadedNextToTheOldOneWhichClosesAfterItsLastImage() throws Exception {
        ModelRepos.addVersion(repo, "v1", SAME_LABELS);
        ModelRepos.addVersion(repo, "v2", UPPER_CASE_LABELS);
        ModelRepos.point(repo, "CURRENT", "v1");
        ModelWatcher w = started(false);
        ModelSet.Pinned inFlight = ModelSet.pin(w); // an image still being classified with v1
        LoadedModel v1 = inFlight.current().model();

        ModelRepos.point(repo, "CURRENT", "v2");
        w.poll();

        assertThat(w.models().current().version()).isEqualTo("v2");
        assertThat(registry.openSessions()).as("both versions side by side").isEqualTo(2);
        assertThat(v1.isClosed()).as("v1 still has an image in flight").isFalse();
        inFlight.close();
        assertThat(v1.isClosed()).isTrue();
        assertThat(registry.openModels()).singleElement().asString().contains("/v2/");
    }

    static Stream<Arguments> brokenVersions() {
        return Stream.of(
                Arguments.of("truncated model", (Consumer<Path>) v -> truncate(v.resolve("model.onnx")), "ONNX Runtime"),
                Arguments.of("labels that do not fit the output",
                        (Consumer<Path>) v -> rewrite(v.resolve("labels.txt"), "cat\ndog\n"), "[N, 2]"),
                Arguments.of("invalid sidecar", (Consumer<Path>) v -> rewrite(v.resolve("model.json"), "{\"layout\": 3"),
                        "invalid model sidecar"),
                Arguments.of("sidecar input that does not fit the model",
                        (Consumer<Path>) v -> rewrite(v.resolve("model.json"), "{\"layout\": \"NHWC\"}"), "[N, 224, 224, 3]"),
                Arguments.of("missing model file", (Consumer<Path>) v -> delete(v.resolve("model.onnx")), "model.onnx"),
                Arguments.of("failed smoke test on a known image", (Consumer<Path>) v -> {
                    rewrite(v.resolve("labels.txt"), String.join("\n", SHIFTED_LABELS.apply(imagenetLabels())));
                    ModelRepos.smokeTest(v.getParent(), v.getFileName().toString(), "coffee.png", "espresso");
                }, "expected 'espresso'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenVersions")
    void aVersionThatFailsItsChecksIsRefusedOnceAndTheRunningOneStays(String what, Consumer<Path> breakIt,
            String reason) throws Exception {
        ModelRepos.addVersion(repo, "v1", SAME_LABELS);
        breakIt.accept(ModelRepos.addVersion(repo, "v2", UPPER_CASE_LABELS));
        ModelRepos.point(repo, "CURRENT", "v1");
        ModelWatcher w = started(false);

        ModelRepos.point(repo, "CURRENT", "v2");
        w.poll();
        w.poll();

        assertThat(w.models().current().version()).isEqualTo("v1");
        assertThat(w.refusedVersions()).isEqualTo(1);
        assertThat(w.refused()).containsOnlyKeys("v2").hasValueSatisfying(
                new org.assertj.core.api.Condition<>(r -> r.contains(reason), "reason containing " + reason));
        assertThat(registry.openSessions()).as("the refused session is closed").isEqualTo(1);
    }

    @Test
    void aVersionWhoseSmokeTestPassesIsTaken() throws Exception {
        ModelRepos.addVersion(repo, "v1", SAME_LABELS);
        ModelRepos.addVersion(repo, "v2", SAME_LABELS);
        ModelRepos.smokeTest(repo, "v2", "coffee.png", "espresso");
        ModelRepos.point(repo, "CURRENT", "v1");
        ModelWatcher w = started(false);

        ModelRepos.point(repo, "CURRENT", "v2");
        w.poll();

        assertThat(w.models().current().version()).isEqualTo("v2");
    }

    @Test
    void aPointerThatNamesNoFolderIsRefused() throws Exception {
        ModelRepos.addVersion(repo, "v1", SAME_LABELS);
        ModelRepos.point(repo, "CURRENT", "v1");
        ModelWatcher w = started(false);

        ModelRepos.point(repo, "CURRENT", "../elsewhere");
        w.poll();

        assertThat(w.models().current().version()).isEqualTo("v1");
        assertThat(w.refused().values()).singleElement().asString().contains("not a version folder name");
    }

    @Test
    void aFailedReadIsTriedAgainAtTheNextPollNotRefused() throws Exception {
        ModelRepos.addVersion(repo, "v1", SAME_LABELS);
        ModelRepos.addVersion(repo, "v2", UPPER_CASE_LABELS);
        ModelRepos.point(repo, "CURRENT", "v1");
        AtomicInteger failures = new AtomicInteger();
        ModelFetcher local = ModelFetcher.local();
        ModelWatcher w = watcher(false, location -> {
            if (location.contains("/v2/") && failures.getAndIncrement() == 0) {
                throw new IOException("503 Service Unavailable");
            }
            return local.fetch(location);
        });
        w.start(List.of());

        ModelRepos.point(repo, "CURRENT", "v2");
        w.poll();
        assertThat(w.models().current().version()).isEqualTo("v1");
        assertThat(w.refused()).isEmpty();

        w.poll();
        assertThat(w.models().current().version()).isEqualTo("v2");
    }

    @Test
    void aRefusedVersionAtStartKeepsTheVersionOfTheRestoredCheckpoint() throws Exception {
        ModelRepos.addVersion(repo, "v1", SAME_LABELS);
        ModelRepos.addVersion(repo, "v2", UPPER_CASE_LABELS);
        truncate(ModelRepos.addVersion(repo, "v3", SAME_LABELS).resolve("model.onnx"));
        ModelRepos.point(repo, "CURRENT", "v3");

        ModelWatcher w = watcher(false, ModelFetcher.local());
        w.start(List.of("v2", "v2"));

        assertThat(w.models().current().version()).isEqualTo("v2");
        assertThat(w.refused()).containsOnlyKeys("v3");
    }

    @Test
    void aRefusedVersionAtStartWithNothingToKeepFailsNamingIt() {
        truncate(ModelRepos.addVersion(repo, "v3", SAME_LABELS).resolve("model.onnx"));
        ModelRepos.point(repo, "CURRENT", "v3");

        assertThatThrownBy(() -> watcher(false, ModelFetcher.local()).start(List.of()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("version v3")
                .hasMessageContaining("CURRENT");
    }

    @Test
    void aMissingCurrentPointerFailsTheStart() {
        ModelRepos.addVersion(repo, "v1", SAME_LABELS);

        assertThatThrownBy(() -> watcher(false, ModelFetcher.local()).start(List.of()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("CURRENT does not exist");
    }

    @Test
    void theCandidateIsLoadedUntilItIsRejected() throws Exception {
        ModelRepos.addVersion(repo, "v1", SAME_LABELS);
        ModelRepos.addVersion(repo, "v2", UPPER_CASE_LABELS);
        ModelRepos.point(repo, "CURRENT", "v1");
        ModelRepos.point(repo, "CANDIDATE", "v2");
        ModelWatcher w = started(true);
        assertThat(w.models().candidate().version()).isEqualTo("v2");

        Files.writeString(repo.resolve("v2/REJECTED"), "rejected by a person");
        w.poll();

        assertThat(w.models().candidate()).isNull();
        assertThat(w.models().current().version()).isEqualTo("v1");
        assertThat(registry.openSessions()).isEqualTo(1);
    }

    @Test
    void aPromotedCandidateBecomesCurrentWithoutLoadingAgain() throws Exception {
        ModelRepos.addVersion(repo, "v1", SAME_LABELS);
        ModelRepos.addVersion(repo, "v2", UPPER_CASE_LABELS);
        ModelRepos.point(repo, "CURRENT", "v1");
        ModelRepos.point(repo, "CANDIDATE", "v2");
        ModelWatcher w = started(true);
        ModelHandle candidate = w.models().candidate();

        ModelRepos.point(repo, "CURRENT", "v2");
        w.poll();

        assertThat(w.models().current()).isSameAs(candidate);
        assertThat(w.models().candidate()).isNull();
        assertThat(registry.openSessions()).isEqualTo(1);
    }

    @Test
    void withoutCanaryTheCandidateIsIgnored() throws Exception {
        ModelRepos.addVersion(repo, "v1", SAME_LABELS);
        ModelRepos.addVersion(repo, "v2", UPPER_CASE_LABELS);
        ModelRepos.point(repo, "CURRENT", "v1");
        ModelRepos.point(repo, "CANDIDATE", "v2");

        assertThat(started(false).models().candidate()).isNull();
        assertThat(registry.openSessions()).isEqualTo(1);
    }

    @Test
    void scheduledPollingPicksUpANewVersionByItself() throws Exception {
        ModelRepos.addVersion(repo, "v1", SAME_LABELS);
        ModelRepos.addVersion(repo, "v2", UPPER_CASE_LABELS);
        ModelRepos.point(repo, "CURRENT", "v1");
        ModelWatcher w = started(false);
        w.schedule(Duration.ofMillis(50));

        ModelRepos.point(repo, "CURRENT", "v2");

        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!w.models().current().version().equals("v2")) {
            assertThat(System.nanoTime()).as("v2 within 60 s").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static List<String> imagenetLabels() {
        try {
            return Files.readAllLines(SharedData.labels());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void truncate(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 3));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void rewrite(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void delete(Path file) {
        try {
            Files.delete(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
