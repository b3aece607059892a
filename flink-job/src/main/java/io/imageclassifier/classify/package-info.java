/**
 * The classifier core: image bytes in, {@link io.imageclassifier.classify.ClassificationResult} out.
 * No Flink types; a Flink function holds one {@link io.imageclassifier.classify.ImageClassifier}
 * per subtask (open it in {@code open()}, close it in {@code close()}).
 *
 * <ul>
 *   <li>{@link io.imageclassifier.classify.ImageDecoder}: limits checked before decoding, every
 *       supported format to an {@link io.imageclassifier.classify.RgbImage} (EXIF orientation applied,
 *       alpha composited on white, large images decoded subsampled).
 *   <li>{@link io.imageclassifier.classify.Preprocessor}: resize/crop/normalise/layout into the tensor
 *       as a {@link io.imageclassifier.classify.PreprocessSpec} (the model's JSON sidecar) says.
 *   <li>{@link io.imageclassifier.classify.SharedModelRegistry}: one ONNX Runtime session per model
 *       configuration per JVM, reference-counted; {@link io.imageclassifier.classify.ModelFetcher}
 *       is the seam for remote model stores.
 * </ul>
 *
 * Rejected inputs surface as {@link io.imageclassifier.classify.ImageRejectedException} carrying a
 * {@link io.imageclassifier.record.DeadLetterReason}.
 */
package io.imageclassifier.classify;
