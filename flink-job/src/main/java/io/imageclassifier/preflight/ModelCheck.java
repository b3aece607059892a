package io.imageclassifier.preflight;

import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import io.imageclassifier.classify.Labels;
import io.imageclassifier.classify.ModelFetcher;
import io.imageclassifier.classify.PreprocessSpec;
import io.imageclassifier.config.ConfigException;
import io.imageclassifier.config.GcsConfig;
import io.imageclassifier.config.ModelSettings;
import io.imageclassifier.fetch.GcsModelFetcher;
import io.imageclassifier.fetch.GcsUri;
import io.imageclassifier.fetch.StorageClientFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The model is there and readable, and so are the labels the classifier will use (the {@code --labels}
 * override, else the sidecar's, else {@code --fallback-labels}), read and parsed as the classifier
 * reads them. Checked where the job is submitted, with the same credentials (Workload Identity on
 * GKE): a wrong path otherwise fails every task start, in a restart loop. The model itself is only
 * looked up, not downloaded; its sidecar and labels are small and read whole.
 */
final class ModelCheck {

    private ModelCheck() {}

    static void check(ModelSettings model, GcsConfig gcs) {
        String location = model.model();
        requireModel(location, gcs);
        ModelFetcher fetcher = GcsModelFetcher.withLocalFallback(gcs);
        PreprocessSpec spec;
        try {
            spec = PreprocessSpec.forModel(location, fetcher);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("--model " + location + ": its sidecar cannot be read: " + e.getMessage(), e);
        }
        String what;
        String labels;
        if (model.labels() != null) {
            what = "--labels";
            labels = model.labels();
        } else if (spec.labels() != null) {
            what = "the labels named in the sidecar of " + location + ",";
            labels = ModelFetcher.resolveSibling(location, spec.labels());
        } else if (model.fallbackLabels() != null) {
            what = "--fallback-labels";
            labels = model.fallbackLabels();
        } else {
            throw new ConfigException("--model " + location + " has no labels: pass --labels, or name a labels file "
                    + "in the model's sidecar (\"labels\")");
        }
        try {
            Labels.load(fetcher.fetch(labels));
        } catch (NoSuchFileException e) {
            throw new ConfigException(what + " " + labels + " does not exist", e);
        } catch (IOException e) {
            throw new ConfigException(what + " " + labels + " cannot be read: " + e.getMessage(), e);
        }
    }

    private static void requireModel(String location, GcsConfig gcs) {
        if (!GcsUri.isGcs(location)) {
            try {
                Path file = ModelFetcher.local().fetch(location);
                if (!Files.isReadable(file)) {
                    throw new ConfigException("--model " + location + " is not readable by this user");
                }
            } catch (NoSuchFileException e) {
                throw new ConfigException("--model " + location + " does not exist (checked on the machine that "
                        + "submits the job)", e);
            } catch (IOException e) {
                throw new ConfigException("--model " + location + ": " + e.getMessage(), e);
            }
            return;
        }
        GcsUri uri;
        try {
            uri = GcsUri.parse(location);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--model " + e.getMessage(), e);
        }
        try (Storage storage = StorageClientFactory.of(gcs).create()) {
            if (storage.get(BlobId.of(uri.bucket(), uri.object())) == null) {
                throw new ConfigException("--model " + location + " does not exist");
            }
        } catch (StorageException e) {
            String hint = e.getCode() == 401 || e.getCode() == 403
                    ? " (the job's identity needs roles/storage.objectViewer on gs://" + uri.bucket() + ")" : "";
            throw new ConfigException("--model " + location + " cannot be read: " + e.getMessage() + hint, e);
        } catch (ConfigException e) {
            throw e;
        } catch (Exception e) {
            throw new ConfigException("--model " + location + " cannot be read: " + e.getMessage(), e);
        }
    }
}
