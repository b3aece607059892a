package io.imageclassifier.classify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imageclassifier.classify.PreprocessSpec.ChannelOrder;
import io.imageclassifier.classify.PreprocessSpec.Layout;
import io.imageclassifier.classify.PreprocessSpec.OutputKind;
import io.imageclassifier.classify.PreprocessSpec.Resize;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PreprocessSpecTest {

    @TempDir
    Path dir;

    @Test
    void readsEverySidecarKey() {
        PreprocessSpec s = PreprocessSpec.fromJson("""
                {
                  "format_version": 1,
                  "model_name": "mobilenetv2-keras",
                  "input_name": "input_1",
                  "output_name": "predictions",
                  "layout": "NHWC",
                  "channel_order": "BGR",
                  "height": 160, "width": 192,
                  "resize": "stretch",
                  "resize_shorter_side": 300,
                  "interpolation": "bilinear",
                  "scale": 0.00392156862745098,
                  "mean": [0.5, 0.5, 0.5],
                  "std": [0.5, 0.5, 0.5],
                  "output_kind": "probabilities",
                  "labels": "labels.txt",
                  "source_checksum": "sha256:abc",
                  "converter": {"name": "tf2onnx", "ignored": true}
                }
                """);
        assertThat(s.modelName()).isEqualTo("mobilenetv2-keras");
        assertThat(s.inputName()).isEqualTo("input_1");
        assertThat(s.outputName()).isEqualTo("predictions");
        assertThat(s.layout()).isEqualTo(Layout.NHWC);
        assertThat(s.channelOrder()).isEqualTo(ChannelOrder.BGR);
        assertThat(s.height()).isEqualTo(160);
        assertThat(s.width()).isEqualTo(192);
        assertThat(s.resize()).isEqualTo(Resize.STRETCH);
        assertThat(s.resizeShorterSide()).isEqualTo(300);
        assertThat(s.scale()).isEqualTo(1 / 255.0);
        assertThat(s.mean()).containsExactly(0.5, 0.5, 0.5);
        assertThat(s.std()).containsExactly(0.5, 0.5, 0.5);
        assertThat(s.outputKind()).isEqualTo(OutputKind.PROBABILITIES);
        assertThat(s.labels()).isEqualTo("labels.txt");
        assertThat(s.sourceChecksum()).isEqualTo("sha256:abc");
        assertThat(s.inputShape(8)).containsExactly(8, 160, 192, 3);
    }

    @Test
    void missingKeysTakeTheDefaults() {
        PreprocessSpec s = PreprocessSpec.fromJson("{\"model_name\": \"m\", \"std\": [1, 2, 3]}");
        PreprocessSpec d = PreprocessSpec.defaults();
        assertThat(s).isEqualTo(new PreprocessSpec(d.formatVersion(), "m", d.inputName(), d.outputName(), d.layout(),
                d.channelOrder(), d.height(), d.width(), d.resize(), d.resizeShorterSide(), d.interpolation(),
                d.scale(), d.mean(), List.of(1.0, 2.0, 3.0), d.outputKind(), null, null));
    }

    @Test
    void defaultsDescribeTheSharedMobileNet() {
        PreprocessSpec d = PreprocessSpec.defaults();
        assertThat(d.inputShape(1)).containsExactly(1, 3, 224, 224);
        assertThat(d.channelOrder()).isEqualTo(ChannelOrder.RGB);
        assertThat(d.resize()).isEqualTo(Resize.SHORTER_SIDE);
        assertThat(d.resizeShorterSide()).isEqualTo(256);
        assertThat(d.mean()).containsExactly(0.485, 0.456, 0.406);
        assertThat(d.std()).containsExactly(0.229, 0.224, 0.225);
        assertThat(d.outputKind()).isEqualTo(OutputKind.LOGITS);
    }

    @Test
    void withoutSidecarForModelGivesDefaultsNamedAfterTheFile() throws Exception {
        Path model = Files.writeString(dir.resolve("resnet-7.onnx"), "not read");
        assertThat(PreprocessSpec.forModel(model)).isEqualTo(PreprocessSpec.defaults().withModelName("resnet-7"));
    }

    @Test
    void forModelReadsTheSidecarNextToTheModel() throws Exception {
        Path model = Files.writeString(dir.resolve("m.onnx"), "not read");
        Files.writeString(dir.resolve("m.json"), "{\"model_name\": \"from-sidecar\", \"layout\": \"NHWC\"}");
        PreprocessSpec s = PreprocessSpec.forModel(model);
        assertThat(s.modelName()).isEqualTo("from-sidecar");
        assertThat(s.layout()).isEqualTo(Layout.NHWC);
    }

    @Test
    void forModelAlsoFindsModelFileNameDotJson() throws Exception {
        Path model = Files.writeString(dir.resolve("m.onnx"), "not read");
        Files.writeString(dir.resolve("m.onnx.json"), "{\"model_name\": \"long-form\"}");
        assertThat(PreprocessSpec.forModel(model).modelName()).isEqualTo("long-form");
    }

    @Test
    void invalidSidecarFailsNamingTheFileAndField() throws Exception {
        Path model = Files.writeString(dir.resolve("m.onnx"), "not read");
        Files.writeString(dir.resolve("m.json"), "{\"height\": 0}");
        assertThatThrownBy(() -> PreprocessSpec.forModel(model))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("m.json")
                .hasMessageContaining("height");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "{\"format_version\": 2}                       | format_version",
        "{\"layout\": \"NCWH\"}                        | layout",
        "{\"channel_order\": \"RGBA\"}                 | channel_order",
        "{\"height\": -1}                              | height",
        "{\"width\": 224.5}                            | width",
        "{\"width\": \"224\"}                          | width",
        "{\"resize\": \"crop\"}                        | resize",
        "{\"resize_shorter_side\": 200}                | resize_shorter_side",
        "{\"interpolation\": \"bicubic\"}              | interpolation",
        "{\"scale\": 0}                                | scale",
        "{\"mean\": [0.5, 0.5]}                        | mean",
        "{\"std\": [0.2, 0, 0.2]}                      | std",
        "{\"std\": \"0.5\"}                            | std",
        "{\"output_kind\": \"softmax\"}                | output_kind",
        "{\"input_name\": \"\"}                        | input_name",
        "{\"output_name\": 3}                          | output_name",
        "{\"labels\": \" \"}                           | labels",
        "[1, 2]                                        | JSON object",
        "{not json                                     | JSON",
    })
    void rejectsInvalidValuesNamingTheField(String json, String field) {
        assertThatThrownBy(() -> PreprocessSpec.fromJson(json))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(field);
    }

    @Test
    void stretchDoesNotNeedAShorterSide() {
        PreprocessSpec s = PreprocessSpec.fromJson("{\"resize\": \"stretch\", \"resize_shorter_side\": 1}");
        assertThat(s.resize()).isEqualTo(Resize.STRETCH);
    }

    @Test
    void subsamplingKeepsAtLeastTheResolutionTheResizeSamples() {
        PreprocessSpec d = PreprocessSpec.defaults();
        assertThat(d.maxSubsampling(500, 375)).isEqualTo(1);
        assertThat(d.maxSubsampling(1024, 512)).isEqualTo(2);
        assertThat(d.maxSubsampling(4000, 3000)).isEqualTo(11); // 3000 / 11 = 272 >= 256
    }

    @Test
    void isSerializable() throws Exception {
        PreprocessSpec s = PreprocessSpec.defaults();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(s);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertThat(in.readObject()).isEqualTo(s);
        }
    }
}
