package io.imageclassifier.classify;

import io.imageclassifier.testing.SharedData;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The whole pipeline (decode, preprocess, shared model) against the shared photos and dev set. */
class AccuracyTest {

    private static final SharedModelRegistry REGISTRY = new SharedModelRegistry();
    private static ImageClassifier classifier;

    @BeforeAll
    static void open() throws Exception {
        classifier = ImageClassifier.open(SharedData.modelConfig(), ModelFetcher.local(), REGISTRY);
    }

    @AfterAll
    static void close() {
        classifier.close();
    }

    @Test
    void chelseaIsACat() throws Exception {
        ClassificationResult r = classify("images/photos/chelsea.png");
        assertThat(r.labelIndex()).isBetween(281, 285);
        assertThat(r.modelName()).isEqualTo("mobilenetv2-12-int8");
        assertThat(r.modelVersion()).isEqualTo("83530ad811bc");
    }

    @Test
    void coffeeIsEspresso() throws Exception {
        ClassificationResult r = classify("images/photos/coffee.png");
        assertThat(r.labelIndex()).isEqualTo(967);
        assertThat(r.label()).isEqualTo("espresso");
        assertThat(r.score()).isGreaterThan(0.9);
        assertThat(r.topK()).hasSize(5);
        assertThat(r.topK()[0].labelIndex()).isEqualTo(967);
    }

    @Test
    void batchGivesTheSameResultsAsSingleImages() throws Exception {
        List<byte[]> images = List.of(read("images/photos/chelsea.png"), read("images/photos/coffee.png"),
                read("images/photos/camera.png"));
        List<float[]> tensors = new java.util.ArrayList<>();
        for (byte[] b : images) {
            tensors.add(classifier.decodeAndPreprocess(b));
        }
        List<ClassificationResult> batch = classifier.classifyBatch(tensors);
        assertThat(batch).hasSize(3);
        for (int i = 0; i < images.size(); i++) {
            ClassificationResult single = classifier.classify(images.get(i));
            assertThat(batch.get(i).labelIndex()).isEqualTo(single.labelIndex());
            assertThat(batch.get(i).score()).isCloseTo(single.score(), org.assertj.core.api.Assertions.within(1e-4));
        }
        assertThat(batch.get(1).label()).isEqualTo("espresso");
    }

    @Test
    void devSetTop1IsAtLeast78Percent() throws Exception {
        Path dir = SharedData.dir().resolve("images/imagenet-dev");
        List<String> lines = Files.readAllLines(dir.resolve("manifest.tsv"));
        int total = 0;
        int correct = 0;
        long decode = 0;
        long pre = 0;
        long infer = 0;
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            ClassificationResult r = classifier.classify(Files.readAllBytes(dir.resolve(f[0])));
            total++;
            if (r.labelIndex() == Integer.parseInt(f[2])) {
                correct++;
            }
            decode += r.decodeNanos();
            pre += r.preprocessNanos();
            infer += r.inferenceNanos();
        }
        double top1 = 100.0 * correct / total;
        System.out.printf("dev set top-1: %.1f %% (%d/%d); per image: decode %.2f ms, preprocess %.2f ms, infer %.2f ms%n",
                top1, correct, total, decode / 1e6 / total, pre / 1e6 / total, infer / 1e6 / total);
        assertThat(total).isEqualTo(200);
        assertThat(top1).isGreaterThanOrEqualTo(78.0);
    }

    private static ClassificationResult classify(String relative) throws IOException, ImageRejectedException {
        return classifier.classify(read(relative));
    }

    private static byte[] read(String relative) throws IOException {
        return Files.readAllBytes(SharedData.dir().resolve(relative));
    }
}
