package io.imageclassifier.sink.bigquery.fake;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.FileSystemFactory;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.fs.local.LocalFileSystem;

/**
 * A Flink file system for tests, scheme {@value #SCHEME} ({@code objectstore:///abs/path}), on local
 * files, that behaves like an object store such as {@code gs://}: a file written through
 * {@link #create} does not exist until its stream is closed, then appears whole. Registered through
 * {@code META-INF/services}, so a MiniCluster job can write to it.
 */
public final class ObjectStoreFileSystem extends LocalFileSystem {

    public static final String SCHEME = "objectstore";

    /** {@code objectstore://} plus the absolute local path. */
    public static String uri(java.nio.file.Path dir) {
        return SCHEME + "://" + dir.toAbsolutePath();
    }

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public FSDataOutputStream create(Path path, WriteMode mode) throws IOException {
        java.nio.file.Path target = pathToFile(path).toPath();
        if (mode == WriteMode.NO_OVERWRITE && Files.exists(target)) {
            throw new IOException("object exists: " + path);
        }
        java.nio.file.Path staging = Files.createTempFile("object-upload-", ".part");
        OutputStream out = Files.newOutputStream(staging);
        return new FSDataOutputStream() {
            private long pos;
            private boolean closed;

            @Override
            public void write(int b) throws IOException {
                out.write(b);
                pos++;
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                pos += len;
            }

            @Override
            public long getPos() {
                return pos;
            }

            @Override
            public void flush() throws IOException {
                out.flush(); // still invisible: an upload completes on close
            }

            @Override
            public void sync() throws IOException {
                flush();
            }

            @Override
            public void close() throws IOException {
                if (!closed) {
                    closed = true;
                    out.close();
                    Files.createDirectories(target.getParent());
                    Files.move(staging, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        };
    }

    /** Creates the file system for {@value #SCHEME} URIs. */
    public static final class Factory implements FileSystemFactory {
        @Override
        public String getScheme() {
            return SCHEME;
        }

        @Override
        public FileSystem create(URI fsUri) {
            return new ObjectStoreFileSystem();
        }
    }
}
