package io.imageclassifier.fetch;

import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import io.imageclassifier.config.GcsConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Downloads whole objects (models, labels) from {@code gs://} URIs. Stateless: each call opens and
 * closes its own client. For "once per TaskManager", use {@link #localCopy}: its file name is derived
 * from the URI and the object's generation, and it is written atomically, so every slot (and every
 * restart) of a TaskManager finds and reuses the same file.
 */
public final class GcsObjects {

    private GcsObjects() {}

    /**
     * Downloads {@code uri} to {@code dest} (replaced atomically).
     *
     * @throws IOException when the object does not exist or cannot be read
     */
    public static void download(GcsConfig config, String uri, Path dest) throws IOException {
        withBlob(config, uri, (storage, blob) -> {
            downloadGeneration(storage, blob.getBlobId(), dest);
            return dest;
        });
    }

    /**
     * A local copy of {@code uri} under {@code dir}, downloaded only if no copy of the object's current
     * generation is there yet.
     *
     * @return the local file
     */
    public static Path localCopy(GcsConfig config, String uri, Path dir) throws IOException {
        Files.createDirectories(dir);
        return withBlob(config, uri, (storage, blob) -> {
            Path dest = dir.resolve(shortHash(uri) + "-" + blob.getGeneration() + "-" + GcsUri.parse(uri).fileName());
            if (!Files.exists(dest)) {
                downloadGeneration(storage, blob.getBlobId(), dest);
            }
            return dest;
        });
    }

    private interface BlobAction {
        Path apply(Storage storage, Blob blob) throws IOException;
    }

    /** Looks {@code uri} up and runs {@code action} on it; client errors become IOExceptions naming it. */
    private static Path withBlob(GcsConfig config, String uri, BlobAction action) throws IOException {
        GcsUri gcs = GcsUri.parse(uri);
        try (Storage storage = StorageClientFactory.of(config).create()) {
            Blob blob = storage.get(BlobId.of(gcs.bucket(), gcs.object()));
            if (blob == null) {
                // NoSuchFile: callers probing optional objects (a model's sidecar) tell "absent" from "broken".
                throw new java.nio.file.NoSuchFileException(uri, null, "does not exist");
            }
            return action.apply(storage, blob);
        } catch (StorageException e) {
            throw new IOException("cannot read " + uri + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot read " + uri, e);
        }
    }

    private static void downloadGeneration(Storage storage, BlobId id, Path dest) throws IOException {
        Path parent = dest.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, ".download-", ".part");
        try {
            storage.downloadTo(id, tmp);
            Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String shortHash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
